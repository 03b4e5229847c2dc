import { beforeAll, describe, expect, it } from 'vitest';
import { generator } from '../../bench/lib/interval';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// A property test of the read tiers' keys (issue 24): random list requests (through /v1 and, for
// the same entries, /rest/v1) and gets by id, from random users of
// two orgs with different access, with writes in between. Every answer a tier gives must be
// exactly what Postgres answers the same caller at that moment (the same request with
// `Cache-Control: no-cache`): an entry found across orgs, across different access, or from
// before a write would show as a difference. A small pool of requests makes the same request
// recur for different callers, so a colliding key would be found.

const REQUESTS = [
  '/v1/contacts?select=id,first_name&order=first_name.asc&limit=50',
  '/v1/contacts?select=id&lifecycle_stage=eq.customer&limit=50',
  '/v1/contacts?select=id,last_name&last_name=ilike.*prop*&order=id.asc&limit=50',
  '/v1/contacts?select=id,owner(name)&order=created_at.desc&limit=20',
  '/v1/contacts?select=id&limit=50&order=id.desc',
  '/v1/deals?select=id,name&order=name.asc&limit=50',
  '/v1/deals?select=id&status=eq.open&limit=50',
];

const STAGES = ['lead', 'customer', 'subscriber'];

describe('read tiers, property: a tier answers exactly what Postgres answers the same caller', () => {
  const orgs: Array<{ org: TestOrg; users: TestUser[]; tokens: string[]; contacts: string[] }> = [];

  beforeAll(async () => {
    for (const [n, privateDefaults] of [
      [0, true],
      [1, false],
    ] as const) {
      const org = await createOrg();
      const users = [org.users.admin, org.users.manager, org.users.member];
      const contacts: string[] = [];
      for (let i = 0; i < 24; i++) {
        const owner = users[i % users.length].id;
        const [{ id }] = await sql(`insert into contacts (org_id, first_name, last_name, owner_id, lifecycle_stage) values ($1, $2, $3, $4, $5) returning id`, [
          org.id,
          `P${n}-${i}`,
          i % 2 ? 'Property' : 'Other',
          owner,
          STAGES[i % STAGES.length],
        ]);
        contacts.push(id);
      }
      const [pipeline] = await sql(`insert into pipelines (org_id, name, is_default) values ($1, 'P', true) returning id`, [org.id]);
      const [stage] = await sql(`insert into pipeline_stages (org_id, pipeline_id, name, position) values ($1, $2, 'S', 1) returning id`, [
        org.id,
        pipeline.id,
      ]);
      for (let i = 0; i < 12; i++)
        await sql(`insert into deals (org_id, name, value, status, pipeline_id, stage_id, owner_id) values ($1, $2, 100, $3, $4, $5, $6)`, [
          org.id,
          `Deal ${n}-${i}`,
          i % 3 ? 'open' : 'won',
          pipeline.id,
          stage.id,
          users[(i + 1) % users.length].id,
        ]);
      if (privateDefaults)
        await sql(
          `insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true), ($1, 'deal', 'private', false)`,
          [org.id],
        );
      orgs.push({ org, users, tokens: await Promise.all(users.map((u) => tokenFor(u))), contacts });
    }
  });

  it('holds over random requests, callers and writes', async () => {
    // Seeded, so a failure replays.
    const random = generator(20261205);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    const differences: string[] = [];
    let hits = 0;
    for (let step = 0; step < 320; step++) {
      const o = pick(orgs);
      const who = Math.floor(random() * o.users.length);
      const token = o.tokens[who];
      if (random() < 0.08) {
        // A write through the API by the org's admin: renames a contact and changes its stage.
        const id = pick(o.contacts);
        const res = await send('PATCH', `/v1/contacts/${id}`, {
          token: o.tokens[0],
          body: { first_name: `R${step}`, lifecycle_stage: pick(STAGES) },
        });
        expect(res.status).toBe(200);
        continue;
      }
      const roll = random();
      if (roll < 0.3) {
        // The same entries rendered by /rest/v1, and gets by id (a record some callers may not read: 404 from both).
        const other = pick(orgs.flatMap((x) => x.contacts));
        const path = roll < 0.15 ? pick(REQUESTS).replace('/v1/', '/rest/v1/') : `/v1/contacts/${other}?select=id,first_name,lifecycle_stage`;
        const tiered = await send('GET', path, { token });
        const fromDb = await send('GET', path, { token, headers: { 'Cache-Control': 'no-cache' } });
        if (/(^|,\s*)(memory|edge-cache|kv);/.test(tiered.headers.get('Server-Timing') ?? '')) hits++;
        const rows = (res: typeof tiered) => JSON.stringify(res.status === 200 ? (res.body.data ?? res.body) : res.body.code);
        if (tiered.status !== fromDb.status || rows(tiered) !== rows(fromDb))
          differences.push(`step ${step}: org ${orgs.indexOf(o)} user ${o.users[who].role} ${path}: ${tiered.status} vs ${fromDb.status}`);
        continue;
      }
      const path = pick(REQUESTS);
      const tiered = await send('GET', path, { token });
      const fromDb = await send('GET', path, { token, headers: { 'Cache-Control': 'no-cache' } });
      expect(tiered.status).toBe(200);
      expect(fromDb.body.meta.tier).toBe('db');
      if (tiered.body.meta.tier !== 'db') hits++;
      const what = `step ${step}: org ${orgs.indexOf(o)} user ${o.users[who].role} ${path} (${tiered.body.meta.tier})`;
      const { nextCursor: tieredCursor, ...tieredPage } = tiered.body.page;
      const { nextCursor: dbCursor, ...dbPage } = fromDb.body.page;
      if (JSON.stringify(tiered.body.data) !== JSON.stringify(fromDb.body.data) || JSON.stringify(tieredPage) !== JSON.stringify(dbPage))
        differences.push(`${what}: the page differs`);
      else if (Boolean(tieredCursor) !== Boolean(dbCursor)) differences.push(`${what}: one has a next page, the other not`);
      else if (tieredCursor) {
        // The cursor a tier hands out is this caller's: following it gives Postgres's next page.
        const next = (cursor: string) => send('GET', `${path}&cursor=${encodeURIComponent(cursor)}`, { token, headers: { 'Cache-Control': 'no-cache' } });
        const [viaTier, viaDb] = [await next(tieredCursor), await next(dbCursor)];
        if (viaTier.status !== 200 || JSON.stringify(viaTier.body.data) !== JSON.stringify(viaDb.body.data))
          differences.push(`${what}: its cursor gives ${viaTier.status} ${JSON.stringify(viaTier.body.errors ?? '')}`);
      }
    }
    expect(differences).toEqual([]);
    // The property means something only if the tiers answered often.
    expect(hits).toBeGreaterThan(60);
  }, 120_000);
});
