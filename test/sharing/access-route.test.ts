import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// GET /v1/{resource}/{id}/access against the real reads and writes: in a factory org with
// private contacts, a hierarchy two levels deep, owner and criteria rules (one of them stored
// with criteria the whitelist no longer takes) and manual shares, for every user and record,
// `read` is whether that user's GET answers 200 and `edit` whether their PATCH does.
interface Row {
  id: string;
  owner: string;
  stage: string;
  first_name: string;
}

describe('GET /v1/{resource}/{id}/access', () => {
  let org: TestOrg;
  let member2: TestUser;
  let outsider: TestUser;
  let deep: TestUser;
  let team: string;
  let rows: Row[];
  const rule: Record<string, string> = {};
  const share: Record<string, { id: string; record: string }> = {};
  const bump = (orgId: string) =>
    sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [orgId],
    );
  const users = () => [org.users.admin, org.users.manager, org.users.member, member2, outsider, deep];
  const tokens = new Map<string, string>();
  const token = async (u: TestUser) => {
    if (!tokens.has(u.id)) tokens.set(u.id, await tokenFor(u));
    return tokens.get(u.id) as string;
  };

  beforeAll(async () => {
    org = await createOrg();
    const { admin, member } = org.users;
    team = (await sql(`insert into teams (org_id, name) values ($1, 'Support') returning id`, [org.id]))[0].id;
    const mk = async (role: TestUser['role'], managerId: string, teamId: string | null): Promise<TestUser> => {
      const [u] = await sql(`insert into users (org_id, email, name, role, manager_id, team_id) values ($1, $2, $3, $4, $5, $6) returning id`, [
        org.id,
        `${crypto.randomUUID()}@x.test`,
        role,
        role,
        managerId,
        teamId,
      ]);
      return { id: u.id, role, orgId: org.id };
    };
    member2 = await mk('member', admin.id, team);
    outsider = await mk('member', admin.id, null);
    // admin ← manager ← member ← deep: the manager's reports go two levels down.
    deep = await mk('member', member.id, null);
    await sql(`update users set team_id = $2 where id = $1`, [member.id, team]);
    const owners = users().map((u) => u.id);
    const stages = ['lead', 'customer', 'subscriber', 'evangelist'];
    rows = [];
    for (let i = 0; i < 24; i++) {
      const owner = owners[i % owners.length];
      // Shifted each round, so every owner holds every stage.
      const stage = stages[(i + Math.floor(i / owners.length)) % stages.length];
      const [r] = await sql(`insert into contacts (org_id, first_name, owner_id, lifecycle_stage) values ($1, $2, $3, $4) returning id`, [
        org.id,
        `A${i}`,
        owner,
        stage,
      ]);
      rows.push({ id: r.id, owner, stage, first_name: `A${i}` });
    }
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true)`, [org.id]);
    const addRule = async (name: string, cols: string, values: unknown[]) => {
      const [r] = await sql(
        `insert into sharing_rules (org_id, object_type, name, ${cols}) values ($1, 'contact', $2, ${values.map((_, i) => `$${i + 3}`).join(', ')}) returning id`,
        [org.id, name, ...values],
      );
      rule[name] = r.id;
    };
    const kindCriteria = 'kind, criteria, target_type, target_id, access';
    await addRule('customers to members', kindCriteria, [
      'criteria',
      '{"field":"lifecycle_stage","operator":"equals","value":"customer"}',
      'role',
      'member',
      'read',
    ]);
    await addRule('subscribers to the outsider', kindCriteria, [
      'criteria',
      '{"field":"lifecycle_stage","operator":"equals","value":"subscriber"}',
      'user',
      outsider.id,
      'edit',
    ]);
    // Stored before a whitelist change: grants nothing, to reads and to /access alike.
    await addRule('stale criteria', kindCriteria, ['criteria', '{"field":"no_such_field","operator":"equals","value":"x"}', 'role', 'member', 'edit']);
    await addRule('outsider to support', 'kind, source_type, source_id, target_type, target_id, access', ['owner', 'user', outsider.id, 'team', team, 'edit']);
    const addShare = async (name: string, record: Row, granteeType: string, granteeId: string, access: string) => {
      const [s] = await sql(
        `insert into record_shares (org_id, object_type, record_id, grantee_type, grantee_id, access) values ($1, 'contact', $2, $3, $4, $5) returning id`,
        [org.id, record.id, granteeType, granteeId, access],
      );
      share[name] = { id: s.id, record: record.id };
    };
    const adminRow = (stage: string) => rows.find((r) => r.owner === admin.id && r.stage === stage) as Row;
    await addShare('to member', adminRow('evangelist'), 'user', member.id, 'read');
    await addShare('to support', adminRow('subscriber'), 'team', team, 'edit');
    await bump(org.id);
  });

  const access = async (caller: TestUser, record: string, about?: TestUser | string, resource = 'contacts') => {
    const user = typeof about === 'string' ? about : about?.id;
    return get(`/v1/${resource}/${record}/access${user ? `?user=${user}` : ''}`, { token: await token(caller) });
  };

  it('for every user and record: read is what their GET sees, edit what their PATCH may change', async () => {
    const { admin } = org.users;
    for (const user of users()) {
      for (const r of rows) {
        const explained = await access(admin, r.id, user);
        expect(explained.status).toBe(200);
        const { data } = explained.body;
        const what = `${user.role} ${user.id} on ${r.id} (owner ${r.owner}, ${r.stage}): ${JSON.stringify(data.reasons)}`;
        expect(data.user_id).toBe(user.id);
        expect(data.record_id).toBe(r.id);
        const got = await get(`/v1/contacts/${r.id}?select=id`, { token: await token(user) });
        expect(got.status === 200, what).toBe(data.read);
        if (!data.read) expect(got.status, what).toBe(404);
        const patched = await send('PATCH', `/v1/contacts/${r.id}`, { token: await token(user), body: { first_name: r.first_name } });
        expect(patched.status, what).toBe(data.edit ? 200 : data.read ? 403 : 404);
        // The reasons grant what the verdict says, and say why not when nothing does.
        const granting = data.reasons.filter((x: { access: string }) => x.access !== 'none');
        expect(granting.length > 0, what).toBe(data.read);
        expect(
          granting.some((x: { access: string }) => x.access === 'edit'),
          what,
        ).toBe(data.edit);
        if (!data.read) expect(data.reasons).toEqual([expect.objectContaining({ kind: 'org_default', access: 'none' })]);
        // Asking about oneself gives the same answer for what one may read, and a 404 otherwise.
        const self = await access(user, r.id);
        if (data.read) expect(self.body, what).toEqual(explained.body);
        else expect(self.status, what).toBe(404);
      }
    }
  });

  it('the reasons name the owner, the hierarchy chain, the rule and the share', async () => {
    const { admin, manager, member } = org.users;
    const owned = rows.find((r) => r.owner === deep.id && r.stage === 'lead') as Row;
    expect((await access(admin, owned.id, deep)).body.data.reasons).toEqual([expect.objectContaining({ kind: 'owner', access: 'edit' })]);
    // The manager reads deep's record through the member: the chain from deep's manager up.
    const viaChain = owned;
    expect((await access(manager, viaChain.id)).body.data.reasons).toEqual([
      expect.objectContaining({ kind: 'hierarchy', access: 'edit', via: { owner_id: deep.id, chain: [member.id, manager.id] } }),
    ]);
    const outsiders = rows.find((r) => r.owner === outsider.id && r.stage !== 'customer') as Row;
    expect((await access(admin, outsiders.id, member2)).body.data.reasons).toEqual([
      expect.objectContaining({
        kind: 'owner_rule',
        access: 'edit',
        via: { rule_id: rule['outsider to support'], name: 'outsider to support', target_type: 'team', target_id: team },
      }),
    ]);
    const customer = rows.find((r) => r.stage === 'customer' && r.owner === admin.id) as Row;
    expect((await access(member2, customer.id)).body.data).toMatchObject({
      read: true,
      edit: false,
      reasons: [{ kind: 'criteria_rule', access: 'read', via: { rule_id: rule['customers to members'], name: 'customers to members' } }],
    });
    const subscriber = rows.find((r) => r.stage === 'subscriber' && r.owner === admin.id) as Row;
    expect((await access(outsider, subscriber.id)).body.data).toMatchObject({
      edit: true,
      reasons: [{ kind: 'criteria_rule', access: 'edit', via: { rule_id: rule['subscribers to the outsider'] } }],
    });
    expect((await access(member, share['to member'].record)).body.data.reasons).toEqual([
      expect.objectContaining({ kind: 'share', access: 'read', via: { share_id: share['to member'].id, grantee_type: 'user', grantee_id: member.id } }),
    ]);
    expect((await access(member2, share['to support'].record)).body.data).toMatchObject({
      edit: true,
      reasons: [{ kind: 'share', access: 'edit', via: { share_id: share['to support'].id, grantee_type: 'team', grantee_id: team } }],
    });
    // The admin: admin first, and every other reason that applies (here the top of the chain).
    const anything = await access(admin, owned.id);
    expect(anything.body.data).toMatchObject({
      read: true,
      edit: true,
      reasons: [
        { kind: 'admin', access: 'edit' },
        { kind: 'hierarchy', via: { chain: [member.id, manager.id, admin.id] } },
      ],
    });
  });

  it('an admin asking about someone who cannot read the record hears why not', async () => {
    const hidden = rows.find((r) => r.owner === org.users.admin.id && r.stage === 'lead') as Row;
    const res = await access(org.users.admin, hidden.id, deep);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      user_id: deep.id,
      record_id: hidden.id,
      read: false,
      edit: false,
      reasons: [{ kind: 'org_default', access: 'none', detail: expect.stringContaining('private') }],
    });
  });

  it('an object type the org never configured: the default public_read_write', async () => {
    const [company] = await sql(`insert into companies (org_id, name, owner_id) values ($1, 'Acme', $2) returning id`, [org.id, org.users.admin.id]);
    const res = await access(deep, company.id, undefined, 'companies');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ read: true, edit: true, reasons: [{ kind: 'org_default', access: 'edit' }] });
  });

  it('who may ask: admins about anyone of the org, anyone else only about themselves', async () => {
    const { admin, member } = org.users;
    const own = rows.find((r) => r.owner === member.id) as Row;
    const hidden = rows.find((r) => r.owner === admin.id && r.stage === 'lead') as Row;
    expect((await access(member, own.id, member)).status).toBe(200);
    const other = await access(member, own.id, admin);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('forbidden');
    // A record the member cannot read does not exist for them, whatever they ask.
    const notMine = await access(member, hidden.id);
    expect(notMine.status).toBe(404);
    expect(notMine.body.code).toBe('not_found');
    expect(JSON.stringify(notMine.body)).not.toContain(hidden.first_name);
    expect((await access(admin, hidden.id, crypto.randomUUID())).status).toBe(404);
    expect((await access(admin, crypto.randomUUID(), member)).status).toBe(404);
    expect((await access(admin, 'not-a-uuid')).status).toBe(400);
    expect((await access(admin, own.id, 'not-a-uuid')).status).toBe(400);
  });

  it('another org: its records, its users and its tokens get a 404', async () => {
    const other = await createOrg();
    const [foreign] = await sql(`insert into contacts (org_id, first_name, owner_id) values ($1, 'F', $2) returning id`, [other.id, other.users.member.id]);
    expect((await access(org.users.admin, foreign.id)).status).toBe(404);
    expect((await access(org.users.admin, rows[0].id, other.users.member)).status).toBe(404);
    expect((await access(other.users.admin, rows[0].id)).status).toBe(404);
    expect((await access(other.users.admin, rows[0].id, org.users.member)).status).toBe(404);
  });

  it('no token: 401; a record in the trash: 404', async () => {
    const res = await get(`/v1/contacts/${rows[0].id}/access`);
    expect(res.status).toBe(401);
    const [trashed] = await sql(`insert into contacts (org_id, first_name, owner_id, deleted_at) values ($1, 'T', $2, now()) returning id`, [
      org.id,
      org.users.admin.id,
    ]);
    expect((await access(org.users.admin, trashed.id)).status).toBe(404);
  });

  it('a revoked share is gone from the very next answer', async () => {
    const { member } = org.users;
    const before = await access(member, share['to member'].record);
    expect(before.body.data.read).toBe(true);
    await sql(`delete from record_shares where id = $1`, [share['to member'].id]);
    expect((await access(member, share['to member'].record)).status).toBe(404);
    expect((await access(org.users.admin, share['to member'].record, member)).body.data.read).toBe(false);
  });

  it('is in /openapi.json for every shared resource', async () => {
    const doc = (await get('/openapi.json')).body;
    for (const r of ['contacts', 'companies', 'leads', 'deals', 'activities']) {
      const op = doc.paths[`/v1/${r}/{id}/access`]?.get;
      expect(op, r).toBeDefined();
      expect(op.responses['200'].content['application/json'].schema).toBeDefined();
    }
  });
});
