import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/resources/registry';
import { checkCriteria } from '../../src/write/sharing-criteria';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// /v1/sharing/*: settings, rules and manual shares. Changes are admins' (shares: also the
// record's owner), validated (criteria by the query whitelist, ids in the org), audited in the
// same transaction, and answer X-Generation; a refused change writes nothing, audit included.

const SHARING_TYPES = ['sharing_settings', 'sharing_rules', 'record_shares'];

interface World {
  org: TestOrg;
  other: TestOrg;
  team: string;
  otherTeam: string;
  member2: TestUser;
  inactive: TestUser;
  tokens: { admin: string; manager: string; member: string; member2: string; otherAdmin: string };
}

let w: World;

async function addUser(org: TestOrg, role: TestUser['role'], opts: { team?: string; active?: boolean } = {}): Promise<TestUser> {
  const slug = crypto.randomUUID().slice(0, 8);
  const [row] = await sql<{ id: string }>('insert into users (org_id, email, name, role, team_id, is_active) values ($1, $2, $3, $4, $5, $6) returning id', [
    org.id,
    `${role}-${slug}@${org.slug}.test`,
    `${role} ${slug}`,
    role,
    opts.team ?? null,
    opts.active ?? true,
  ]);
  return { id: row.id, role, orgId: org.id };
}

async function addTeam(org: TestOrg, name: string): Promise<string> {
  const [row] = await sql<{ id: string }>('insert into teams (org_id, name) values ($1, $2) returning id', [org.id, name]);
  return row.id;
}

/** The org's sharing audit rows, oldest first. */
async function trail(orgId: string) {
  return sql<{ action: string; object_type: string; object_id: string; changes: any; actor_id: string }>(
    'select action, object_type, object_id::text, changes, actor_id::text from audit_log where org_id = $1 and object_type = any($2) order by at, id',
    [orgId, SHARING_TYPES],
  );
}

/** Everything a sharing change could leave behind in an org: rows of the three tables and their audit rows. */
async function footprint(orgId: string) {
  const [counts] = await sql<Record<string, string>>(
    `select (select count(*) from sharing_settings where org_id = $1) as settings,
            (select count(*) from sharing_rules where org_id = $1) as rules,
            (select count(*) from record_shares where org_id = $1) as shares,
            (select count(*) from audit_log where org_id = $1 and object_type = any($2)) as audit`,
    [orgId, SHARING_TYPES],
  );
  return counts;
}

async function sharingVersion(orgId: string): Promise<number> {
  const [row] = await sql<{ v: string }>('select coalesce((select sharing_version from org_generations where org_id = $1), 0)::text as v', [orgId]);
  return Number(row.v);
}

const expectProblem = (res: { status: number; body: any }, status: number, code?: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  if (code) expect(res.body.code).toBe(code);
};
const paths = (res: { body: any }) => (res.body.errors ?? []).map((e: { path: string }) => e.path);

beforeAll(async () => {
  const [org, other] = await Promise.all([createOrg(), createOrg()]);
  const team = await addTeam(org, 'Sales EMEA');
  const otherTeam = await addTeam(other, 'Elsewhere');
  const [member2, inactive] = await Promise.all([addUser(org, 'member', { team }), addUser(org, 'member', { active: false })]);
  const [admin, manager, member, m2, otherAdmin] = await Promise.all(
    [org.users.admin, org.users.manager, org.users.member, member2, other.users.admin].map((u) => tokenFor(u)),
  );
  w = { org, other, team, otherTeam, member2, inactive, tokens: { admin, manager, member, member2: m2, otherAdmin } };
});

describe('settings', () => {
  it('GET lists every object type; unset ones are the defaults, configured: false (any role)', async () => {
    const org = await createOrg();
    const res = await get('/v1/sharing/settings', { token: await tokenFor(org.users.member) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual(
      ['contact', 'company', 'lead', 'deal', 'activity'].map((t) => ({
        object_type: t,
        default_access: 'public_read_write',
        grant_hierarchy: true,
        configured: false,
        updated_at: null,
      })),
    );
  });

  it('PUT upserts (admin): 200, X-Generation, audited once per change, the sharing version rises', async () => {
    const org = await createOrg();
    const token = await tokenFor(org.users.admin);
    const version = await sharingVersion(org.id);
    const put = await send('PUT', '/v1/sharing/settings/deal', { token, body: { default_access: 'private', grant_hierarchy: true } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.data).toMatchObject({ object_type: 'deal', default_access: 'private', grant_hierarchy: true, configured: true });
    expect(put.body.data.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Number(put.headers.get('X-Generation'))).toBeGreaterThan(0);
    expect(await sharingVersion(org.id)).toBeGreaterThan(version);

    const list = await get('/v1/sharing/settings', { token: await tokenFor(org.users.member) });
    expect(list.body.data.find((s: any) => s.object_type === 'deal')).toEqual(put.body.data);
    expect(list.body.data.find((s: any) => s.object_type === 'contact').configured).toBe(false);

    // The same again changes nothing and leaves no audit row; a change is audited as an update.
    const same = await send('PUT', '/v1/sharing/settings/deal', { token, body: { default_access: 'private', grant_hierarchy: true } });
    expect(same.status).toBe(200);
    expect(same.body.data).toEqual(put.body.data);
    const changed = await send('PUT', '/v1/sharing/settings/deal', { token, body: { default_access: 'public_read', grant_hierarchy: false } });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toMatchObject({ default_access: 'public_read', grant_hierarchy: false });
    expect(await trail(org.id)).toEqual([
      {
        action: 'update',
        object_type: 'sharing_settings',
        object_id: org.id,
        actor_id: org.users.admin.id,
        changes: { 'deal.configured': { from: false, to: true }, 'deal.default_access': { from: 'public_read_write', to: 'private' } },
      },
      {
        action: 'update',
        object_type: 'sharing_settings',
        object_id: org.id,
        actor_id: org.users.admin.id,
        changes: { 'deal.default_access': { from: 'private', to: 'public_read' }, 'deal.grant_hierarchy': { from: true, to: false } },
      },
    ]);
  });

  it('managers and members get a 403; bad bodies and object types a 400; nothing is written', async () => {
    const before = await footprint(w.org.id);
    for (const token of [w.tokens.manager, w.tokens.member]) {
      expectProblem(await send('PUT', '/v1/sharing/settings/contact', { token, body: { default_access: 'private', grant_hierarchy: true } }), 403, 'forbidden');
    }
    const admin = w.tokens.admin;
    expectProblem(await send('PUT', '/v1/sharing/settings/contact', { token: admin, body: { default_access: 'private' } }), 400);
    const extra = await send('PUT', '/v1/sharing/settings/contact', {
      token: admin,
      body: { default_access: 'private', grant_hierarchy: true, org_id: w.other.id },
    });
    expectProblem(extra, 400, 'unknown_field');
    expect(paths(extra)).toEqual(['org_id']);
    expectProblem(await send('PUT', '/v1/sharing/settings/contact', { token: admin, body: { default_access: 'secret', grant_hierarchy: true } }), 400);
    expectProblem(await send('PUT', '/v1/sharing/settings/contacts', { token: admin, body: { default_access: 'private', grant_hierarchy: true } }), 400);
    expectProblem(await get('/v1/sharing/settings?object_type=deal', { token: admin }), 400, 'invalid_query');
    expect(await footprint(w.org.id)).toEqual(before);
  });

  it("one org's setting is not another's", async () => {
    const [a, b] = await Promise.all([createOrg(), createOrg()]);
    await send('PUT', '/v1/sharing/settings/lead', { token: await tokenFor(a.users.admin), body: { default_access: 'private', grant_hierarchy: false } });
    const res = await get('/v1/sharing/settings', { token: await tokenFor(b.users.admin) });
    expect(res.body.data.find((s: any) => s.object_type === 'lead')).toMatchObject({ configured: false, default_access: 'public_read_write' });
  });
});

describe('rules', () => {
  const ownerRule = () => ({
    name: `Managers' contacts → EMEA ${crypto.randomUUID().slice(0, 6)}`,
    object_type: 'contact',
    kind: 'owner',
    source_type: 'role',
    source_id: 'manager',
    target_type: 'team',
    target_id: w.team,
    access: 'read',
  });
  const criteriaRule = (criteria: unknown, object_type = 'deal') => ({
    name: `Criteria ${crypto.randomUUID().slice(0, 6)}`,
    object_type,
    kind: 'criteria',
    criteria,
    target_type: 'role',
    target_id: 'member',
    access: 'read',
  });

  it('POST (201, Location, X-Generation), GET one and the list (any role), PATCH (200), DELETE (204), each audited', async () => {
    const org = await createOrg();
    const admin = await tokenFor(org.users.admin);
    const team = await addTeam(org, 'Sales');
    const version = await sharingVersion(org.id);
    const body = { ...ownerRule(), target_id: team.toUpperCase() };
    const created = await send('POST', '/v1/sharing/rules', { token: admin, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rule = created.body.data;
    expect(rule).toMatchObject({ ...body, target_id: team, criteria: null, is_active: true });
    expect(created.headers.get('Location')).toBe(`/v1/sharing/rules/${rule.id}`);
    expect(Number(created.headers.get('X-Generation'))).toBeGreaterThan(0);
    expect(await sharingVersion(org.id)).toBeGreaterThan(version);

    const member = await tokenFor(org.users.member);
    expect((await get(`/v1/sharing/rules/${rule.id}`, { token: member })).body).toEqual({ data: rule });
    const criteria = await send('POST', '/v1/sharing/rules', {
      token: admin,
      body: criteriaRule({
        and: [
          { field: 'status', operator: 'equals', value: 'won' },
          { field: 'value', operator: 'greaterThan', value: 1000 },
        ],
      }),
    });
    expect(criteria.status, JSON.stringify(criteria.body)).toBe(201);
    expect(criteria.body.data.criteria).toEqual({
      and: [
        { field: 'status', operator: 'equals', value: 'won' },
        { field: 'value', operator: 'greaterThan', value: 1000 },
      ],
    });
    const all = await get('/v1/sharing/rules', { token: member });
    expect(all.status).toBe(200);
    expect(all.body.data.map((r: any) => r.id)).toEqual([rule.id, criteria.body.data.id]);
    expect((await get('/v1/sharing/rules?object_type=deal', { token: member })).body.data.map((r: any) => r.id)).toEqual([criteria.body.data.id]);

    const patched = await send('PATCH', `/v1/sharing/rules/${rule.id}`, { token: admin, body: { name: 'Renamed', access: 'edit' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.data).toMatchObject({ id: rule.id, name: 'Renamed', access: 'edit', source_id: 'manager' });
    expect(Number(patched.headers.get('X-Generation'))).toBeGreaterThan(Number(created.headers.get('X-Generation')));
    // A PATCH that changes nothing leaves no audit row.
    expect((await send('PATCH', `/v1/sharing/rules/${rule.id}`, { token: admin, body: { name: 'Renamed' } })).status).toBe(200);

    const deleted = await send('DELETE', `/v1/sharing/rules/${rule.id}`, { token: admin });
    expect(deleted.status).toBe(204);
    expect(Number(deleted.headers.get('X-Generation'))).toBeGreaterThan(0);
    expectProblem(await get(`/v1/sharing/rules/${rule.id}`, { token: admin }), 404, 'not_found');
    expectProblem(await send('DELETE', `/v1/sharing/rules/${rule.id}`, { token: admin }), 404, 'not_found');

    const rows = (await trail(org.id)).filter((r) => r.object_id === rule.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'hard_delete']);
    expect(rows.every((r) => r.object_type === 'sharing_rules' && r.actor_id === org.users.admin.id)).toBe(true);
    expect(rows[0].changes).toMatchObject({ name: { to: body.name }, kind: { to: 'owner' }, target_id: { to: team }, source_id: { to: 'manager' } });
    expect(rows[1].changes).toEqual({ name: { from: body.name, to: 'Renamed' }, access: { from: 'read', to: 'edit' } });
    expect(rows[2].changes).toMatchObject({ name: { from: 'Renamed' } });
  });

  it('managers and members get a 403 on every change, and nothing is written', async () => {
    const created = await send('POST', '/v1/sharing/rules', { token: w.tokens.admin, body: ownerRule() });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const before = await footprint(w.org.id);
    for (const token of [w.tokens.manager, w.tokens.member]) {
      expectProblem(await send('POST', '/v1/sharing/rules', { token, body: ownerRule() }), 403, 'forbidden');
      expectProblem(await send('PATCH', `/v1/sharing/rules/${id}`, { token, body: { name: 'Mine now' } }), 403, 'forbidden');
      expectProblem(await send('DELETE', `/v1/sharing/rules/${id}`, { token }), 403, 'forbidden');
    }
    expect(await footprint(w.org.id)).toEqual(before);
    expect((await get(`/v1/sharing/rules/${id}`, { token: w.tokens.member })).body.data).toEqual(created.body.data);
  });

  it('owner and criteria fields go with their kind: 400 naming each field', async () => {
    const before = await footprint(w.org.id);
    const token = w.tokens.admin;
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ ...ownerRule(), criteria: { field: 'status', operator: 'equals', value: 'active' } }, ['criteria']],
      [{ ...ownerRule(), source_type: undefined, source_id: undefined }, ['source_type', 'source_id']],
      [{ ...ownerRule(), source_id: undefined }, ['source_id']],
      [{ ...criteriaRule({ field: 'status', operator: 'equals', value: 'won' }), source_type: 'role', source_id: 'admin' }, ['source_type', 'source_id']],
      [{ ...criteriaRule(undefined) }, ['criteria']],
      [{ ...ownerRule(), target_type: 'role', target_id: 'boss' }, ['target_id']],
      [{ ...ownerRule(), source_type: 'user', source_id: 'not-a-uuid' }, ['source_id']],
      [{ ...ownerRule(), target_type: 'team', target_id: 'manager' }, ['target_id']],
    ];
    for (const [body, expected] of cases) {
      const res = await send('POST', '/v1/sharing/rules', { token, body });
      expectProblem(res, 400, 'invalid_body');
      expect(paths(res), JSON.stringify(body)).toEqual(expected);
    }
    const strict = await send('POST', '/v1/sharing/rules', { token, body: { ...ownerRule(), org_id: w.other.id } });
    expectProblem(strict, 400, 'unknown_field');
    expect(paths(strict)).toEqual(['org_id']);
    expectProblem(await send('POST', '/v1/sharing/rules', { token, body: { ...ownerRule(), kind: 'magic' } }), 400);
    expect(await footprint(w.org.id)).toEqual(before);
  });

  it('a PATCH is validated whole: changing the kind must bring criteria and clear the source', async () => {
    const created = await send('POST', '/v1/sharing/rules', { token: w.tokens.admin, body: ownerRule() });
    const id = created.body.data.id;
    const where = { field: 'lifecycle_stage', operator: 'equals', value: 'customer' };
    const half = await send('PATCH', `/v1/sharing/rules/${id}`, { token: w.tokens.admin, body: { kind: 'criteria', criteria: where } });
    expectProblem(half, 400, 'invalid_body');
    expect(paths(half)).toEqual(['source_type', 'source_id']);
    const whole = await send('PATCH', `/v1/sharing/rules/${id}`, {
      token: w.tokens.admin,
      body: { kind: 'criteria', criteria: where, source_type: null, source_id: null },
    });
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(whole.body.data).toMatchObject({ kind: 'criteria', criteria: where, source_type: null, source_id: null });
    // The criteria follow the object type: lifecycle_stage is no field of deals.
    const moved = await send('PATCH', `/v1/sharing/rules/${id}`, { token: w.tokens.admin, body: { object_type: 'deal' } });
    expectProblem(moved, 400, 'unknown_field');
    expect(paths(moved)).toEqual(['criteria']);
    expectProblem(await send('PATCH', `/v1/sharing/rules/${id}`, { token: w.tokens.admin, body: {} }), 400, 'invalid_body');
  });

  it('criteria pass the query whitelist of the object type’s resource: 400 naming the place under criteria', async () => {
    const before = await footprint(w.org.id);
    const token = w.tokens.admin;
    const cases: Array<[unknown, string, string, string?]> = [
      [{ field: 'nope', operator: 'equals', value: 1 }, 'unknown_field', 'criteria'],
      [
        {
          and: [
            { field: 'status', operator: 'equals', value: 'won' },
            { field: 'org_id', operator: 'equals', value: w.other.id },
          ],
        },
        'unknown_field',
        'criteria.and[1]',
      ],
      [{ field: 'status', operator: 'contains', value: 'wo' }, 'unsupported_operator', 'criteria'],
      [{ or: [{ not: { field: 'name', operator: 'like', value: 'x' } }] }, 'unsupported_operator', 'criteria.or[0].not.operator'],
      // The seed's first draft: op/eq is not the JSON dialect.
      [{ field: 'status', op: 'eq', value: 'won' }, 'unsupported_operator', 'criteria.operator'],
      [{ field: 'expected_close_date', operator: 'equals', value: 'soon' }, 'invalid_query', 'criteria'],
      [{ and: [{ field: 'value', operator: 'greaterThan', value: 'lots' }] }, 'invalid_query', 'criteria.and[0]'],
      [{ field: 'status', operator: 'in', value: ['won', 'gone'] }, 'invalid_query', 'criteria[1]'],
      [{ field: 'status', operator: 'equals' }, 'invalid_query', 'criteria.value'],
      [{ and: [] }, 'invalid_body', 'criteria.and'],
      [{ field: 'status', operator: 'equals', value: { $ne: 1 } }, 'invalid_body', 'criteria'],
      ['status=won', 'invalid_body', 'criteria'],
      [{ field: 'name', operator: 'equals', value: 'a\u0000b' }, 'invalid_query', 'criteria'],
    ];
    for (const [criteria, code, path] of cases) {
      const res = await send('POST', '/v1/sharing/rules', { token, body: criteriaRule(criteria) });
      expectProblem(res, 400, code);
      expect(paths(res), JSON.stringify(criteria)).toContain(path);
      expect(res.body.detail, JSON.stringify(criteria)).toMatch(/^criteria/);
    }
    expect(await footprint(w.org.id)).toEqual(before);
  });

  it("the seed's criteria rules pass the same check", () => {
    // scripts/lib/seed/load-sharing.ts: the demo org's two criteria rules.
    expect(() => checkCriteria(CATALOG, 'contact', { field: 'lifecycle_stage', operator: 'equals', value: 'customer' })).not.toThrow();
    expect(() => checkCriteria(CATALOG, 'deal', { field: 'status', operator: 'equals', value: 'won' })).not.toThrow();
  });

  it('users and teams must be live in the org: 422 reference_in_org naming the field; nothing written', async () => {
    const before = await footprint(w.org.id);
    const token = w.tokens.admin;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...ownerRule(), target_id: w.otherTeam }, 'target_id'],
      [{ ...ownerRule(), source_type: 'user', source_id: w.other.users.member.id }, 'source_id'],
      [{ ...ownerRule(), source_type: 'user', source_id: w.inactive.id }, 'source_id'],
      [{ ...ownerRule(), target_type: 'user', target_id: crypto.randomUUID() }, 'target_id'],
    ];
    for (const [body, path] of cases) {
      const res = await send('POST', '/v1/sharing/rules', { token, body });
      expectProblem(res, 422, 'constraint_violation');
      expect(res.body.rule).toBe('reference_in_org');
      expect(paths(res)).toEqual([path]);
    }
    const ok = await send('POST', '/v1/sharing/rules', { token, body: { ...ownerRule(), source_type: 'user', source_id: w.member2.id } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const moved = await send('PATCH', `/v1/sharing/rules/${ok.body.data.id}`, { token, body: { target_type: 'team', target_id: w.otherTeam } });
    expectProblem(moved, 422, 'constraint_violation');
    expect(paths(moved)).toEqual(['target_id']);
    const after = await footprint(w.org.id);
    expect({ ...after, rules: String(Number(after.rules) - 1), audit: String(Number(after.audit) - 1) }).toEqual(before);
  });

  it("another org's rule is a 404 to read, change or delete, and stays as it was", async () => {
    const created = await send('POST', '/v1/sharing/rules', { token: w.tokens.admin, body: ownerRule() });
    const id = created.body.data.id;
    const theirs = w.tokens.otherAdmin;
    expectProblem(await get(`/v1/sharing/rules/${id}`, { token: theirs }), 404, 'not_found');
    expectProblem(await send('PATCH', `/v1/sharing/rules/${id}`, { token: theirs, body: { name: 'Taken' } }), 404, 'not_found');
    expectProblem(await send('DELETE', `/v1/sharing/rules/${id}`, { token: theirs }), 404, 'not_found');
    expect((await get('/v1/sharing/rules', { token: theirs })).body.data).toEqual([]);
    expect((await get(`/v1/sharing/rules/${id}`, { token: w.tokens.admin })).body.data).toEqual(created.body.data);
    expect(await trail(w.other.id)).toEqual([]);
  });
});

describe('manual shares', () => {
  async function contactOf(token: string): Promise<string> {
    const res = await send('POST', '/v1/contacts', { token, body: { first_name: 'Shared', last_name: crypto.randomUUID().slice(0, 8) } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data.id;
  }
  const share = (record_id: string, extra: Record<string, unknown> = {}) => ({
    object_type: 'contact',
    record_id,
    grantee_type: 'user',
    grantee_id: w.member2.id,
    access: 'read',
    ...extra,
  });

  it("the record's owner shares it (201), lists its shares, removes one (204); each audited", async () => {
    const record = await contactOf(w.tokens.member);
    const created = await send('POST', '/v1/sharing/shares', { token: w.tokens.member, body: share(record) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data).toMatchObject({ ...share(record), created_by: w.org.users.member.id });
    expect(Number(created.headers.get('X-Generation'))).toBeGreaterThan(0);
    const id = created.body.data.id;
    const byAdmin = await send('POST', '/v1/sharing/shares', {
      token: w.tokens.admin,
      body: share(record, { grantee_type: 'team', grantee_id: w.team, access: 'edit' }),
    });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(201);

    const listed = await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token: w.tokens.member });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data).toEqual([created.body.data, byAdmin.body.data]);
    expect((await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token: w.tokens.admin })).body).toEqual(listed.body);

    const removed = await send('DELETE', `/v1/sharing/shares/${id}`, { token: w.tokens.member });
    expect(removed.status).toBe(204);
    expect(Number(removed.headers.get('X-Generation'))).toBeGreaterThan(0);
    expect((await send('DELETE', `/v1/sharing/shares/${byAdmin.body.data.id}`, { token: w.tokens.admin })).status).toBe(204);
    expect((await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token: w.tokens.member })).body.data).toEqual([]);

    const rows = (await trail(w.org.id)).filter((r) => r.object_type === 'record_shares' && [id, byAdmin.body.data.id].includes(r.object_id));
    expect(rows.map((r) => [r.action, r.object_id, r.actor_id])).toEqual([
      ['create', id, w.org.users.member.id],
      ['create', byAdmin.body.data.id, w.org.users.admin.id],
      ['hard_delete', id, w.org.users.member.id],
      ['hard_delete', byAdmin.body.data.id, w.org.users.admin.id],
    ]);
    expect(rows[0].changes).toMatchObject({ record_id: { to: record }, grantee_id: { to: w.member2.id }, access: { to: 'read' } });
  });

  it('anyone but an admin or the owner gets a 404 (the record is not theirs to share); nothing written', async () => {
    const record = await contactOf(w.tokens.member);
    const created = await send('POST', '/v1/sharing/shares', { token: w.tokens.member, body: share(record) });
    const before = await footprint(w.org.id);
    for (const token of [w.tokens.member2, w.tokens.manager]) {
      expectProblem(await send('POST', '/v1/sharing/shares', { token, body: share(record, { grantee_id: w.org.users.manager.id }) }), 404, 'not_found');
      expectProblem(await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token }), 404, 'not_found');
      expectProblem(await send('DELETE', `/v1/sharing/shares/${created.body.data.id}`, { token }), 404, 'not_found');
    }
    expect(await footprint(w.org.id)).toEqual(before);
  });

  it('records and grantees must be live in the org; one share per grantee (409); nothing written by a refusal', async () => {
    const token = w.tokens.admin;
    const record = await contactOf(token);
    const theirs = await contactOf(w.tokens.otherAdmin);
    const trashed = await contactOf(token);
    expect((await send('DELETE', `/v1/contacts/${trashed}`, { token })).status).toBe(204);
    const first = await send('POST', '/v1/sharing/shares', { token, body: share(record) });
    expect(first.status).toBe(201);
    const before = await footprint(w.org.id);

    const twice = await send('POST', '/v1/sharing/shares', { token, body: share(record, { access: 'edit' }) });
    expectProblem(twice, 409, 'conflict');
    expect(twice.body.rule).toBe('unique_record_share');
    expect(paths(twice)).toEqual(['grantee_id']);

    for (const grantee of [
      { grantee_id: w.other.users.member.id },
      { grantee_id: w.inactive.id },
      { grantee_type: 'team', grantee_id: w.otherTeam },
      { grantee_type: 'team', grantee_id: w.member2.id },
    ]) {
      const res = await send('POST', '/v1/sharing/shares', { token, body: share(record, grantee) });
      expectProblem(res, 422, 'constraint_violation');
      expect(res.body.rule).toBe('reference_in_org');
      expect(paths(res)).toEqual(['grantee_id']);
    }

    for (const body of [share(theirs), share(trashed), share(crypto.randomUUID()), share(record, { object_type: 'deal' })]) {
      expectProblem(await send('POST', '/v1/sharing/shares', { token, body }), 404, 'not_found');
    }
    expectProblem(await send('POST', '/v1/sharing/shares', { token, body: share(record, { grantee_type: 'role', grantee_id: 'member' }) }), 400);
    expectProblem(await send('POST', '/v1/sharing/shares', { token, body: share('nope') }), 400);
    expect(await footprint(w.org.id)).toEqual(before);
  });

  it("another org's share is a 404 to remove, and stays", async () => {
    const record = await contactOf(w.tokens.admin);
    const created = await send('POST', '/v1/sharing/shares', { token: w.tokens.admin, body: share(record) });
    expectProblem(await send('DELETE', `/v1/sharing/shares/${created.body.data.id}`, { token: w.tokens.otherAdmin }), 404, 'not_found');
    expect((await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token: w.tokens.otherAdmin })).body.data).toEqual([]);
    expect((await get(`/v1/sharing/shares?object_type=contact&record_id=${record}`, { token: w.tokens.admin })).body.data).toEqual([created.body.data]);
  });

  it('GET needs object_type and record_id', async () => {
    expectProblem(await get('/v1/sharing/shares', { token: w.tokens.admin }), 400, 'invalid_query');
    expectProblem(await get(`/v1/sharing/shares?record_id=${crypto.randomUUID()}`, { token: w.tokens.admin }), 400, 'invalid_query');
  });
});

it('/openapi.json documents every sharing route with its answers', async () => {
  const doc = (await get('/openapi.json')).body;
  const ops = Object.entries<Record<string, any>>(doc.paths)
    .filter(([path]) => path.startsWith('/v1/sharing/'))
    .flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op] as const));
  expect(ops.map(([k]) => k).sort()).toEqual(
    [
      'GET /v1/sharing/settings',
      'PUT /v1/sharing/settings/{objectType}',
      'GET /v1/sharing/rules',
      'POST /v1/sharing/rules',
      'GET /v1/sharing/rules/{ruleId}',
      'PATCH /v1/sharing/rules/{ruleId}',
      'DELETE /v1/sharing/rules/{ruleId}',
      'GET /v1/sharing/shares',
      'POST /v1/sharing/shares',
      'DELETE /v1/sharing/shares/{shareId}',
    ].sort(),
  );
  for (const [key, op] of ops) {
    const success = Object.keys(op.responses).find((s) => s.startsWith('2'));
    expect(success, key).toBeDefined();
    if (success !== '204') expect(op.responses[success as string].content['application/json'].schema, key).toBeDefined();
    expect(op.responses['401'], key).toBeDefined();
  }
  for (const name of ['SharingSetting', 'SharingRule', 'SharingRuleCreate', 'SharingRuleUpdate', 'RecordShare', 'RecordShareCreate'])
    expect(doc.components.schemas).toHaveProperty(name);
});
