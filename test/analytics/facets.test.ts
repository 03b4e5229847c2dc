import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import { FACET_READ_BUDGET, FACET_SAMPLE } from '../../src/resources/analytics/facet-defs';
import { computeFacetRollup, facetKvKey } from '../../src/resources/analytics/rollups';
import { createOrg, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { privateTo, withDb } from '../support/sharing';
import { raiseGeneration, sql, withClient } from '../support/sql';

// Facets (issue 26 §5): counts per value under any list filter, live; without a filter, from the
// owner-grain rollups the cron keeps. Checked against counts made here from the rows themselves.

const appEnv = env as unknown as AppEnv;
const STATUSES = ['active', 'inactive', 'archived'];
const STAGES = ['subscriber', 'lead', 'customer'];
const COUNTRIES = ['FR', 'DE', 'US', 'ES', null];

interface Row {
  status: string;
  stage: string;
  country: string | null;
  owner: string;
  source: string | null;
}

type Facet = { values: Array<{ value: string; count: number }>; other: number; missing: number; distinct: number };

/** What the API should answer for `rows` and `field`, top `top`. */
function oracle(rows: Row[], pick: (r: Row) => string | null, top = 10): Facet {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const r of rows) {
    const v = pick(r);
    if (v === null) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    values: sorted.slice(0, top).map(([value, count]) => ({ value, count })),
    other: sorted.slice(top).reduce((s, [, n]) => s + n, 0),
    missing,
    distinct: sorted.length,
  };
}

const PICK = { status: (r: Row) => r.status, lifecycle_stage: (r: Row) => r.stage, country: (r: Row) => r.country, owner_id: (r: Row) => r.owner };

/**
 * Sampled facets against exact counts: the total, and each value holding more than a fifth of
 * the rows, within the given relative errors.
 */
function expectNear(
  data: { total: number; facets: Record<string, { values: Array<{ value: string; count: number }> }> },
  field: string,
  exact: ReadonlyArray<{ v: string; n: number }>,
  within: { total: number; value: number },
): void {
  const total = exact.reduce((s, r) => s + r.n, 0);
  expect(Math.abs(data.total - total) / total).toBeLessThan(within.total);
  for (const { v, n } of exact.filter((r) => r.n > total / 5)) {
    const got = data.facets[field].values.find((x) => x.value === v)?.count ?? 0;
    expect(Math.abs(got - n) / n, v).toBeLessThan(within.value);
  }
}

describe('facets', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  let manager: string;
  const rows: Row[] = [];

  beforeAll(async () => {
    org = await createOrg();
    [admin, member, manager] = await Promise.all([tokenFor(org.users.admin), tokenFor(org.users.member), tokenFor(org.users.manager)]);
    const owners = [org.users.admin.id, org.users.manager.id, org.users.member.id];
    const addresses: Record<string, string> = {};
    for (const country of COUNTRIES.filter((c) => c !== null)) {
      const [{ id }] = await sql(`insert into addresses (org_id, street, city, country) values ($1, 'x', 'y', $2) returning id`, [org.id, country]);
      addresses[country] = id;
    }
    for (let i = 0; i < 90; i++) {
      const r: Row = {
        status: STATUSES[i % 3],
        stage: STAGES[(i * 7) % 3 === 0 ? 0 : i % 5 === 0 ? 1 : 2],
        country: COUNTRIES[(i * 3) % 5],
        owner: owners[(i * 5) % 3],
        source: null,
      };
      await sql(`insert into contacts (org_id, first_name, status, lifecycle_stage, address_id, owner_id) values ($1, $2, $3, $4, $5, $6)`, [
        org.id,
        `F${i}`,
        r.status,
        r.stage,
        r.country ? addresses[r.country] : null,
        r.owner,
      ]);
      rows.push(r);
    }
    // A deleted contact counts nowhere.
    await sql(`insert into contacts (org_id, first_name, status, lifecycle_stage, owner_id, deleted_at) values ($1, 'gone', 'active', 'lead', $2, now())`, [
      org.id,
      owners[0],
    ]);
    await privateTo(org.id, ['contact'], { hierarchy: true });
  });

  it('under a filter: live counts per value, top N, other, missing, for admins and members alike', async () => {
    const res = await get('/v1/contacts/facets?status=neq.archived&fields=status,lifecycle_stage,country,owner_id&top=2', { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const expected = rows.filter((r) => r.status !== 'archived');
    expect(res.body.meta).toMatchObject({ source: 'live', stale: false });
    expect(res.body.data.total).toBe(expected.length);
    expect(res.body.data.approximate).toBe(false);
    for (const [field, pick] of Object.entries(PICK)) expect(res.body.data.facets[field], field).toEqual(oracle(expected, pick, 2));

    // The member (private contacts, no reports) counts only their own.
    const theirs = await get('/v1/contacts/facets?status=neq.archived&fields=status,country', { token: member });
    const own = expected.filter((r) => r.owner === org.users.member.id);
    expect(theirs.body.data.total).toBe(own.length);
    expect(theirs.body.data.facets.country).toEqual(oracle(own, PICK.country));
    // The manager sees their own and their report's.
    const mgr = await get('/v1/contacts/facets?status=neq.archived&fields=status', { token: manager });
    expect(mgr.body.data.facets.status).toEqual(
      oracle(
        expected.filter((r) => r.owner !== org.users.admin.id),
        PICK.status,
      ),
    );
  });

  it('a live facet request is one aggregate statement after the planner’s estimate; repeated, a read tier answers it', async () => {
    const path = '/v1/contacts/facets?status=eq.active';
    await get(path, { token: admin, headers: { 'Cache-Control': 'no-cache' } });
    const res = await get(path, { token: admin, headers: { 'Cache-Control': 'no-cache' } });
    expect(res.body.meta.tier).toBe('db');
    // The estimate (EXPLAIN) pipelined with the sharing check, then the aggregate.
    expect(statementsOf(res)).toBeLessThanOrEqual(3);
    const again = await get(path, { token: admin });
    expect(['memory', 'edge-cache']).toContain(again.body.meta.tier);
    expect(again.headers.get('Server-Timing') ?? '').not.toMatch(/db;dur=[\d.]+;desc="[1-9]/);
    expect(again.body.data).toEqual(res.body.data);
    // A write moves the generation: counted again.
    const generation = await raiseGeneration(org.id, 'contacts');
    const moved = await get(path, { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(moved.body.meta.tier).toBe('db');
  });

  it('without a filter: the rollup, summed over the owners each caller reads; stale after a write, fresh after the cron', async () => {
    // Before any rollup: answered live.
    const before = await get('/v1/contacts/facets?fields=status', { token: admin });
    expect(before.body.meta.source).toBe('live');

    await withDb((db) => computeFacetRollup(appEnv, db, org.id, 'contacts'));
    const res = await get('/v1/contacts/facets?fields=status,lifecycle_stage,country,owner_id', { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.meta).toMatchObject({ source: 'rollup', stale: false });
    for (const [field, pick] of Object.entries(PICK)) expect(res.body.data.facets[field], field).toEqual(oracle(rows, pick));
    expect(res.body.data.total).toBe(rows.length);

    // The admin's totals are a KV read; the member's a sum over their owners, one statement.
    expect(await appEnv.TIERS?.get(facetKvKey(org.id, 'contacts'))).toBeTruthy();
    await get('/v1/contacts/facets?fields=country', { token: member });
    const mine = await get('/v1/contacts/facets?fields=country,owner_id', { token: member });
    expect(mine.body.meta.source).toBe('rollup');
    expect(statementsOf(mine)).toBe(1);
    const own = rows.filter((r) => r.owner === org.users.member.id);
    expect(mine.body.data.facets.country).toEqual(oracle(own, PICK.country));
    expect(mine.body.data.facets.owner_id).toEqual(oracle(own, PICK.owner_id));
    const mgr = await get('/v1/contacts/facets?fields=status', { token: manager });
    expect(mgr.body.data.facets.status).toEqual(
      oracle(
        rows.filter((r) => r.owner !== org.users.admin.id),
        PICK.status,
      ),
    );

    // A write moves the generation: this org is small, so its facets are counted live (exact)
    // until the rollup is recomputed.
    await sql(`insert into contacts (org_id, first_name, status, lifecycle_stage, owner_id) values ($1, 'new', 'active', 'lead', $2)`, [
      org.id,
      org.users.member.id,
    ]);
    const generation = await raiseGeneration(org.id, 'contacts');
    const stale = await get('/v1/contacts/facets?fields=status', { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(stale.body.meta.source).toBe('live');
    expect(stale.body.data.total).toBe(rows.length + 1);
    rows.push({ status: 'active', stage: 'lead', country: null, owner: org.users.member.id, source: null });

    // The cron's pass recomputes the orgs whose data moved, this one included; a second pass has nothing to do for it.
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }), appEnv);
    const fresh = await get('/v1/contacts/facets?fields=status,country', { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(fresh.body.meta).toMatchObject({ source: 'rollup', stale: false });
    expect(fresh.body.data.facets.status).toEqual(oracle(rows, PICK.status));
    const [{ computed_at: first }] = await sql(`select computed_at::text from rollups where org_id = $1 and kind = 'facets' and key = 'contacts'`, [org.id]);
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }), appEnv);
    const [{ computed_at: second }] = await sql(`select computed_at::text from rollups where org_id = $1 and kind = 'facets' and key = 'contacts'`, [org.id]);
    expect(second).toBe(first);
  });

  it('a big org’s stale rollup is served marked stale (the 300k-contact seeded org), unless exact counts are asked for', async () => {
    const demo = await demoAdmin();
    expect(await withDb((db) => computeFacetRollup(appEnv, db, demo.orgId, 'contacts'))).toBe(true);
    const fresh = await get('/v1/contacts/facets?fields=status', { token: demo.token });
    expect(fresh.body.meta).toMatchObject({ source: 'rollup', stale: false });
    const generation = await raiseGeneration(demo.orgId, 'contacts');
    const stale = await get('/v1/contacts/facets?fields=status', { token: demo.token, headers: { 'X-Min-Generation': generation } });
    expect(stale.body.meta).toMatchObject({ source: 'rollup', stale: true });
    expect(stale.body.data).toEqual(fresh.body.data);
    const exact = await get('/v1/contacts/facets?fields=status', { token: demo.token, headers: { 'X-Min-Generation': generation, Prefer: 'count=exact' } });
    expect(exact.body.meta.source).toBe('live');
    expect(exact.body.data.total).toBe(fresh.body.data.total);
  });

  it('a run that overlaps another skips the org and leaves its rollup whole', async () => {
    await withClient(async (holder) => {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [`rollup:facets:${org.id}:contacts`]);
      try {
        expect(await withDb((db) => computeFacetRollup(appEnv, db, org.id, 'contacts'))).toBe(false);
      } finally {
        await holder.query('rollback');
      }
    });
    expect(await withDb((db) => computeFacetRollup(appEnv, db, org.id, 'contacts'))).toBe(true);
    const [{ n }] = await sql(`select sum(n)::int as n from facet_counts where org_id = $1 and resource = 'contacts' and field = 'status'`, [org.id]);
    expect(n).toBe(rows.length);
    const res = await get('/v1/contacts/facets?fields=status', { token: admin });
    expect(res.body.data.facets.status).toEqual(oracle(rows, PICK.status));
  });

  it('manual shares widen a member’s access beyond owners: the live path answers, counting the shared record', async () => {
    const [{ id }] = await sql(`select id from contacts where org_id = $1 and owner_id = $2 and deleted_at is null limit 1`, [org.id, org.users.admin.id]);
    await sql(`insert into record_shares (org_id, object_type, record_id, grantee_type, grantee_id) values ($1, 'contact', $2, 'user', $3)`, [
      org.id,
      id,
      org.users.member.id,
    ]);
    await sql(`update org_generations set sharing_version = sharing_version + 1 where org_id = $1`, [org.id]);
    await raiseGeneration(org.id, 'record_shares');
    try {
      const res = await get('/v1/contacts/facets?fields=status', { token: member });
      expect(res.body.meta.source).toBe('live');
      expect(res.body.data.total).toBe(rows.filter((r) => r.owner === org.users.member.id).length + 1);
    } finally {
      await sql(`delete from record_shares where org_id = $1`, [org.id]);
      await sql(`update org_generations set sharing_version = sharing_version + 1 where org_id = $1`, [org.id]);
    }
  });

  it('more matches than the sample: counts scaled from a uniform sample, close to the exact ones', async () => {
    const demo = await demoAdmin();
    const res = await get('/v1/contacts/facets?status=eq.active&fields=lifecycle_stage,status', { token: demo.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const exact = await sql<{ v: string; n: number }>(
      `select lifecycle_stage as v, count(*)::int as n from contacts where org_id = $1 and status = 'active' and deleted_at is null group by 1`,
      [demo.orgId],
    );
    const total = exact.reduce((s, r) => s + r.n, 0);
    expect(total).toBeGreaterThan(4 * FACET_SAMPLE);
    expect(res.body.data.approximate).toBe(true);
    // About FACET_SAMPLE rows read: the total's relative error is then about 1/√2500 = 2 %, a
    // value holding a fifth of the rows about 4 %; the bounds below are about four of those.
    expect(res.body.meta.sample).toBeGreaterThan(FACET_SAMPLE / 2);
    expect(res.body.meta.sample).toBeLessThan(FACET_SAMPLE * 2);
    expectNear(res.body.data, 'lifecycle_stage', exact, { total: 0.08, value: 0.16 });
    const all = await get('/v1/contacts/facets?status=eq.active&fields=lifecycle_stage', { token: demo.token, headers: { Prefer: 'count=exact' } });
    expect(all.body.data).toMatchObject({ approximate: false, total });
  });

  it('a search keeping few rows: a sample within the read budget, still close to the exact counts', async () => {
    const demo = await demoAdmin();
    const res = await get('/v1/contacts/facets?q=son&fields=status', { token: demo.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const exact = await sql<{ v: string; n: number }>(
      `select status as v, count(*)::int as n from contacts where org_id = $1 and search_text like '%son%' and deleted_at is null group by 1`,
      [demo.orgId],
    );
    const [{ n: rows }] = await sql<{ n: number }>(`select count(*)::int as n from contacts where org_id = $1 and deleted_at is null`, [demo.orgId]);
    const total = exact.reduce((s, r) => s + r.n, 0);
    // FACET_SAMPLE matches would mean reading more than the budget: it reads the budget's rows, and keeps their matches.
    expect((FACET_SAMPLE / total) * rows).toBeGreaterThan(FACET_READ_BUDGET);
    expect(res.body.data.approximate).toBe(true);
    const expected = (total / rows) * FACET_READ_BUDGET;
    expect(res.body.meta.sample).toBeGreaterThan(expected / 2);
    expect(res.body.meta.sample).toBeLessThan(expected * 1.5);
    // About 800 kept: the total within 4 × 1/√800 ≈ 14 %, a value holding a fifth of them within about 28 %.
    expectNear(res.body.data, 'status', exact, { total: 0.15, value: 0.3 });
  });

  it('bad requests are 400s naming the parameter', async () => {
    for (const [path, param] of [
      ['/v1/contacts/facets?fields=first_name', 'fields'],
      ['/v1/contacts/facets?fields=', 'fields'],
      ['/v1/contacts/facets?top=0', 'top'],
      ['/v1/contacts/facets?top=abc', 'top'],
      ['/v1/contacts/facets?order=id.asc', 'order'],
      ['/v1/contacts/facets?nope=eq.1', 'nope'],
      ['/v1/deals/facets?fields=country', 'fields'],
    ]) {
      const res = await get(path, { token: admin });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('Content-Type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body.errors ?? res.body), path).toContain(param);
    }
  });
});
