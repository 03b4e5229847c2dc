import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { seededUser } from '../support/seeded';
import { raiseGeneration, sql } from '../support/sql';
import { send } from '../support/write';

// Every read path under sharing, against a brute-force oracle: a small org with private
// contacts, a hierarchy, a criteria rule, an owner rule and manual shares; for each user, what
// the API lists, gets and counts must be exactly what the oracle says they may read.
interface Row {
  id: string;
  owner: string;
  stage: string;
}

describe('record-level sharing on reads', () => {
  let org: TestOrg;
  let member2: TestUser;
  let outsider: TestUser;
  let team: string;
  let rows: Row[];
  const shared = new Set<string>();
  const bump = (orgId: string) =>
    sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [orgId],
    );

  beforeAll(async () => {
    org = await createOrg();
    const { admin, manager, member } = org.users;
    team = (await sql(`insert into teams (org_id, name) values ($1, 'Support') returning id`, [org.id]))[0].id;
    const mk = async (role: string, managerId: string, teamId: string | null) =>
      (
        await sql(`insert into users (org_id, email, name, role, manager_id, team_id) values ($1, $2, $3, $4, $5, $6) returning id`, [
          org.id,
          `${crypto.randomUUID()}@x.test`,
          role,
          role,
          managerId,
          teamId,
        ])
      )[0].id as string;
    member2 = { id: await mk('member', admin.id, team), role: 'member', orgId: org.id };
    outsider = { id: await mk('member', admin.id, null), role: 'member', orgId: org.id };
    await sql(`update users set team_id = $2 where id = $1`, [member.id, team]);
    const owners = [admin.id, manager.id, member.id, member2.id, outsider.id];
    const stages = ['lead', 'customer', 'subscriber'];
    rows = [];
    for (let i = 0; i < 30; i++) {
      const owner = owners[i % owners.length];
      const stage = stages[i % stages.length];
      const id = (
        await sql(`insert into contacts (org_id, first_name, owner_id, lifecycle_stage) values ($1, $2, $3, $4) returning id`, [org.id, `P${i}`, owner, stage])
      )[0].id as string;
      rows.push({ id, owner, stage });
    }
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true)`, [org.id]);
    // Customers → the member role (read); the outsider's records → the Support team (read).
    await sql(
      `insert into sharing_rules (org_id, object_type, name, kind, criteria, target_type, target_id, access)
       values ($1, 'contact', 'customers to members', 'criteria', '{"field":"lifecycle_stage","operator":"equals","value":"customer"}', 'role', 'member', 'read')`,
      [org.id],
    );
    await sql(
      `insert into sharing_rules (org_id, object_type, name, kind, source_type, source_id, target_type, target_id, access)
       values ($1, 'contact', 'outsider to support', 'owner', 'user', $2, 'team', $3, 'read')`,
      [org.id, outsider.id, team],
    );
    // An admin-owned record shared with the member by hand.
    const sharedRow = rows.find((r) => r.owner === admin.id && r.stage !== 'customer') as Row;
    await sql(`insert into record_shares (org_id, object_type, record_id, grantee_type, grantee_id, access) values ($1, 'contact', $2, 'user', $3, 'read')`, [
      org.id,
      sharedRow.id,
      member.id,
    ]);
    shared.add(sharedRow.id);
    await bump(org.id);
  });

  /** Who may read a row, by the rules above, decided row by row. */
  function oracle(user: TestUser, r: Row): boolean {
    const { admin, manager, member } = org.users;
    if (user.id === admin.id) return true;
    if (r.owner === user.id) return true;
    // The hierarchy: the manager manages the member (createOrg); the admin manages everyone else.
    if (user.id === manager.id && r.owner === member.id) return true;
    const isMember = [member.id, member2.id, outsider.id].includes(user.id);
    if (isMember && r.stage === 'customer') return true;
    const inSupport = [member.id, member2.id].includes(user.id);
    if (inSupport && r.owner === outsider.id) return true;
    return user.id === member.id && shared.has(r.id);
  }

  const users = () => [org.users.admin, org.users.manager, org.users.member, member2, outsider];

  it('lists, counts and gets exactly what each user may read', async () => {
    for (const user of users()) {
      const token = await tokenFor(user);
      const expected = rows.filter((r) => oracle(user, r)).map((r) => r.id);
      const listed = await get('/v1/contacts?select=id&limit=1000', { token, headers: { Prefer: 'count=exact' } });
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((r: { id: string }) => r.id).sort(), `${user.role} ${user.id}`).toEqual([...expected].sort());
      expect(listed.body.count.value).toBe(expected.length);
      const hidden = rows.find((r) => !oracle(user, r));
      if (hidden) expect((await get(`/v1/contacts/${hidden.id}`, { token })).status).toBe(404);
      const shown = rows.find((r) => oracle(user, r) && r.owner !== user.id);
      if (shown) expect((await get(`/v1/contacts/${shown.id}`, { token })).status).toBe(200);
    }
  });

  it('the other mounts and search see the same subset', async () => {
    const token = await tokenFor(org.users.member);
    const expected = rows.filter((r) => oracle(org.users.member, r)).length;
    const rest = await get('/rest/v1/contacts?select=id', { token, headers: { Prefer: 'count=exact' } });
    expect(rest.body).toHaveLength(expected);
    const app = await get('/api/v1/appusers/?page_size=100', { token });
    expect(app.body.count).toBe(expected);
    const search = await get('/v1/contacts?q=P1&select=id,first_name&limit=100', { token });
    for (const r of search.body.data) expect(oracle(org.users.member, rows.find((x) => x.id === r.id) as Row)).toBe(true);
  });

  it('embedded rows the caller may not read are left out', async () => {
    const token = await tokenFor(outsider);
    const hidden = rows.find((r) => !oracle(outsider, r)) as Row;
    const [pipeline] = await sql(`insert into pipelines (org_id, name, is_default) values ($1, 'P', true) returning id`, [org.id]);
    const [stage] = await sql(`insert into pipeline_stages (org_id, pipeline_id, name, position) values ($1, $2, 'S', 1) returning id`, [org.id, pipeline.id]);
    const [deal] = await sql(`insert into deals (org_id, name, pipeline_id, stage_id, contact_id, owner_id) values ($1, 'D', $2, $3, $4, $5) returning id`, [
      org.id,
      pipeline.id,
      stage.id,
      hidden.id,
      outsider.id,
    ]);
    const res = await get(`/v1/deals/${deal.id}?select=id,contact(first_name)`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.contact).toBeNull();
    const admin = await get(`/v1/deals/${deal.id}?select=id,contact(first_name)`, { token: await tokenFor(org.users.admin) });
    expect(admin.body.data.contact).not.toBeNull();
  });

  it('writes reach only what the caller may read (404) and change only what they may edit (403)', async () => {
    const { member, manager } = org.users;
    const token = await tokenFor(member);
    const invisible = rows.find((r) => !oracle(member, r)) as Row;
    const readOnly = rows.find((r) => r.stage === 'customer' && r.owner !== member.id && oracle(member, r) && !shared.has(r.id)) as Row;
    const own = rows.find((r) => r.owner === member.id) as Row;
    const before = await sql('select first_name from contacts where id = $1', [invisible.id]);
    for (const [method, path, body] of [
      ['PATCH', `/v1/contacts/${invisible.id}`, { first_name: 'x' }],
      ['DELETE', `/v1/contacts/${invisible.id}`, undefined],
      ['POST', `/v1/contacts/${invisible.id}/restore`, undefined],
    ] as const) {
      const res = await send(method, path, { token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(before[0].first_name);
    }
    // A stale If-Match does not confirm it either.
    expect((await send('PATCH', `/v1/contacts/${invisible.id}`, { token, body: { first_name: 'x' }, headers: { 'If-Match': '"1"' } })).status).toBe(404);
    expect((await send('PATCH', `/v1/contacts/${readOnly.id}`, { token, body: { first_name: 'x' } })).status).toBe(403);
    expect((await send('PATCH', `/v1/contacts/${own.id}`, { token, body: { first_name: 'Mine' } })).status).toBe(200);
    const batch = await send('POST', '/v1/contacts/batch', {
      token,
      body: {
        records: [
          { id: own.id, last_name: 'B' },
          { id: invisible.id, last_name: 'B' },
        ],
      },
    });
    expect(batch.status).toBe(422);
    expect(batch.body.errors).toEqual([{ path: 'records[1].id', message: 'no such record' }]);
    expect((await sql('select first_name, last_name from contacts where id = $1', [invisible.id]))[0].first_name).toBe(before[0].first_name);
    // The hierarchy grants edit: the manager changes the member's record.
    expect((await send('PATCH', `/v1/contacts/${own.id}`, { token: await tokenFor(manager), body: { last_name: 'By manager' } })).status).toBe(200);
  });

  it('a revocation shows on the very next request that names it', async () => {
    // Changed by SQL, as a write would: the generation moves with what changed, and the reader
    // names it (X-Min-Generation), as a client of the revoking write would (docs/api.md#read-tiers).
    const moved = async (resource: string) => ({ 'X-Min-Generation': await raiseGeneration(org.id, resource) });
    const token = await tokenFor(org.users.member);
    const sharedId = [...shared][0];
    expect((await get(`/v1/contacts/${sharedId}`, { token })).status).toBe(200);
    await sql(`delete from record_shares where org_id = $1 and record_id = $2`, [org.id, sharedId]);
    expect((await get(`/v1/contacts/${sharedId}`, { token, headers: await moved('record_shares') })).status).toBe(404);
    const customer = rows.find((r) => r.stage === 'customer' && r.owner !== org.users.member.id) as Row;
    expect((await get(`/v1/contacts/${customer.id}`, { token })).status).toBe(200);
    await sql(`update sharing_rules set is_active = false where org_id = $1 and kind = 'criteria'`, [org.id]);
    await bump(org.id);
    expect((await get(`/v1/contacts/${customer.id}`, { token, headers: await moved('sharing_rules') })).status).toBe(404);
  });

  it('the seeded demo org: a member counts fewer contacts than the admin (private defaults)', async () => {
    const admin = await tokenFor(await seededUser('admin@demo.test'));
    const member = await tokenFor(await seededUser('member@demo.test'));
    const count = async (token: string) => (await get('/v1/deals?limit=0', { token, headers: { Prefer: 'count=exact' } })).body.count.value as number;
    const [all, mine] = [await count(admin), await count(member)];
    expect(mine).toBeGreaterThan(0);
    expect(mine).toBeLessThan(all);
  });
});
