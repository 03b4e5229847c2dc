import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

describe('contacts: create, read, update, delete, restore', () => {
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
  });

  it('creates a contact, found by GET, by q= and in the audit trail', async () => {
    const res = await send('POST', '/v1/contacts', { token: admin, body: { first_name: '  Zoë ', last_name: 'Quill', email: 'zoe@example.com' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ first_name: 'Zoë', last_name: 'Quill', email: 'zoe@example.com', owner_id: org.users.admin.id });
    const id = res.body.data.id;
    expect(res.headers.get('Location')).toBe(`/v1/contacts/${id}`);
    expect(res.headers.get('ETag')).toMatch(/^"\d+"$/);
    expect(Number(res.headers.get('X-Generation'))).toBeGreaterThan(0);
    const got = await get(`/v1/contacts/${id}`, { token: admin });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(res.body.data);
    expect(got.headers.get('ETag')).toBe(res.headers.get('ETag'));
    const found = await get('/v1/contacts?q=quill', { token: admin });
    expect(found.body.data.map((r: { id: string }) => r.id)).toContain(id);
    const audit = await sql(`select action, actor_id, changes from audit_log where org_id = $1 and object_id = $2`, [org.id, id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'create', actor_id: org.users.admin.id });
    expect(audit[0].changes.first_name).toEqual({ to: 'Zoë' });
  });

  it('updates with If-Match, refuses a stale one with 412 and changes nothing', async () => {
    const created = await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Ada' } });
    const id = created.body.data.id;
    const etag = created.headers.get('ETag') as string;
    const first = await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { last_name: 'Lovelace' }, headers: { 'If-Match': etag } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.data.last_name).toBe('Lovelace');
    expect(first.headers.get('ETag')).not.toBe(etag);
    const stale = await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { last_name: 'Byron' }, headers: { 'If-Match': etag } });
    expect(stale.status).toBe(412);
    expect((await get(`/v1/contacts/${id}`, { token: admin })).body.data.last_name).toBe('Lovelace');
    const audit = await sql(`select action, changes from audit_log where org_id = $1 and object_id = $2 order by at`, [org.id, id]);
    expect(audit.map((a) => a.action)).toEqual(['create', 'update']);
    expect(audit[1].changes).toEqual({ last_name: { from: null, to: 'Lovelace' } });
  });

  it('soft-deletes (GET 404, list with deleted=only), restores, hard-deletes as admin only', async () => {
    const member = await tokenFor(org.users.member);
    const id = (await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Gone' } })).body.data.id;
    expect((await send('DELETE', `/v1/contacts/${id}`, { token: admin })).status).toBe(204);
    expect((await get(`/v1/contacts/${id}`, { token: admin })).status).toBe(404);
    const trash = await get(`/v1/contacts?deleted=only&id=eq.${id}`, { token: admin });
    expect(trash.body.data).toHaveLength(1);
    const restored = await send('POST', `/v1/contacts/${id}/restore`, { token: admin });
    expect(restored.status).toBe(200);
    expect((await get(`/v1/contacts/${id}`, { token: admin })).status).toBe(200);
    expect((await send('DELETE', `/v1/contacts/${id}?hard=true`, { token: member })).status).toBe(403);
    expect((await send('DELETE', `/v1/contacts/${id}?hard=true`, { token: admin })).status).toBe(204);
    expect(await sql('select 1 from contacts where id = $1', [id])).toHaveLength(0);
    const audit = await sql(`select action from audit_log where org_id = $1 and object_id = $2 order by at`, [org.id, id]);
    expect(audit.map((a) => a.action)).toEqual(['create', 'delete', 'restore', 'hard_delete']);
  });

  it('batch creates and updates all or nothing', async () => {
    const ok = await send('POST', '/v1/contacts/batch', {
      token: admin,
      body: { records: Array.from({ length: 50 }, (_, i) => ({ first_name: `B${i}`, last_name: 'Batch' })) },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data).toHaveLength(50);
    expect(ok.body.data[3].first_name).toBe('B3');
    const ids = ok.body.data.map((r: { id: string }) => r.id);
    const upd = await send('POST', '/v1/contacts/batch', {
      token: admin,
      body: { records: [...ids.slice(0, 3).map((id: string, i: number) => ({ id, phone: `+1 ${i}` })), { first_name: 'New' }] },
    });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    expect(upd.body.data.map((r: { phone: string }) => r.phone).slice(0, 3)).toEqual(['+1 0', '+1 1', '+1 2']);
    const before = await sql('select count(*)::int as n from contacts where org_id = $1', [org.id]);
    const bad = await send('POST', '/v1/contacts/batch', {
      token: admin,
      body: { records: [{ first_name: 'Fine' }, { first_name: 'Fine too' }, { first_name: 'x', gender: 'robot' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('records[2].gender');
    expect(await sql('select count(*)::int as n from contacts where org_id = $1', [org.id])).toEqual(before);
  });
});

describe('write guards a CRM admin relies on', () => {
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
  });

  it('the last active admin cannot demote, deactivate or delete themself (422 org_keeps_an_admin); with a second admin they can', async () => {
    const self = `/v1/users/${org.users.admin.id}`;
    for (const res of [
      await send('PATCH', self, { token: admin, body: { role: 'member' } }),
      await send('PATCH', self, { token: admin, body: { is_active: false } }),
      await send('DELETE', self, { token: admin }),
    ]) {
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.rule).toBe('org_keeps_an_admin');
    }
    expect((await sql('select role, is_active from users where id = $1', [org.users.admin.id]))[0]).toEqual({ role: 'admin', is_active: true });
    const promoted = await send('PATCH', `/v1/users/${org.users.manager.id}`, { token: admin, body: { role: 'admin' } });
    expect(promoted.status).toBe(200);
    expect((await send('PATCH', self, { token: admin, body: { role: 'manager' } })).status).toBe(200);
  });

  it('a deactivated user cannot be made an owner (422 reference_in_org)', async () => {
    const rows = await sql(`insert into users (org_id, email, name, is_active) values ($1, $2, 'Gone', false) returning id`, [
      org.id,
      `gone-${crypto.randomUUID()}@x.test`,
    ]);
    const res = await send('POST', '/v1/contacts', { token: await tokenFor(org.users.manager), body: { first_name: 'Owned', owner_id: rows[0].id } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'owner_id', message: 'no such record in users' }]);
  });

  it('a PATCH that sets what is already there leaves no audit row', async () => {
    const id = (await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Same' } })).body.data.id;
    expect((await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { first_name: 'Same' } })).status).toBe(200);
    const audit = await sql('select action from audit_log where org_id = $1 and object_id = $2', [org.id, id]);
    expect(audit.map((a) => a.action)).toEqual(['create']);
  });

  it('stages, addresses and loyalty entries have a GET by id: what Location names, with the ETag If-Match needs', async () => {
    const created = await send('POST', '/v1/addresses', { token: admin, body: { city: 'Lisbon' } });
    expect(created.status).toBe(201);
    const got = await get(created.headers.get('Location') as string, { token: admin });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ id: created.body.data.id, city: 'Lisbon' });
    expect(got.headers.get('ETag')).toBe(created.headers.get('ETag'));
    const other = await createOrg();
    expect((await get(created.headers.get('Location') as string, { token: await tokenFor(other.users.admin) })).status).toBe(404);
  });

  it('a 412 under an Idempotency-Key is not kept: after re-reading, the same key with the new ETag runs', async () => {
    const created = await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Key' } });
    const id = created.body.data.id;
    await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { last_name: 'Moved' } });
    const key = `k-${crypto.randomUUID()}`;
    const stale = await send('PATCH', `/v1/contacts/${id}`, {
      token: admin,
      body: { last_name: 'Mine' },
      headers: { 'If-Match': created.headers.get('ETag') as string, 'Idempotency-Key': key },
    });
    expect(stale.status).toBe(412);
    const fresh = (await get(`/v1/contacts/${id}`, { token: admin })).headers.get('ETag') as string;
    const retried = await send('PATCH', `/v1/contacts/${id}`, {
      token: admin,
      body: { last_name: 'Mine' },
      headers: { 'If-Match': fresh, 'Idempotency-Key': key },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.data.last_name).toBe('Mine');
  });

  it('a known path with a method it does not serve is a 405 naming the methods it takes', async () => {
    const res = await send('PUT', '/v1/deals/00000000-0000-4000-8000-000000000000', { token: admin, body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH');
  });
});
