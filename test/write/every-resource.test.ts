import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceDef } from '../../src/query/resource';
import { RESOURCES } from '../../src/resources/registry';
import { WRITABLE } from '../../src/resources/writes';
import { get, tokenFor } from '../support/http';
import { send } from '../support/write';
import { auditOf, footprint, otherSampleOf, patchFieldOf, rowOf, sampleOf, specOf, type WriteOrg, writeOrg } from '../support/write-fixture';

// Every verb on every writable resource (WRITABLE, so a resource added later is covered): the
// answer's headers, the stored row, the audit rows the write leaves (checked against the row as
// Postgres holds it), X-Generation moving on with every write of the org, and the role rules.

// Columns no audit diff carries: bookkeeping and derived ones.
const NOT_AUDITED = new Set(['id', 'org_id', 'search', 'search_text', 'created_at', 'updated_at']);

/** A create's diff as the row holds it: every non-null field, `{to}`. */
function createDiff(row: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(row).flatMap(([k, v]) => (v === null || NOT_AUDITED.has(k) ? [] : [[k, { to: v }]])));
}

/** A hard delete's diff: every non-null field it removed, `{from}`. */
function removedDiff(row: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(row).flatMap(([k, v]) => (v === null || NOT_AUDITED.has(k) ? [] : [[k, { from: v }]])));
}

const listable = (r: ResourceDef) => Object.hasOwn(RESOURCES, r.name);
const ETAG = /^"\d+"$/;

describe.each(WRITABLE.map((r) => [r.name, r] as const))('%s', (_, r) => {
  let w: WriteOrg;
  let admin: string;
  /** The org's last X-Generation: every write must answer a greater one. */
  let generation = 0;
  const moved = (res: { headers: Headers }) => {
    const g = Number(res.headers.get('X-Generation'));
    expect(g, 'X-Generation moves on with every write').toBeGreaterThan(generation);
    generation = g;
  };
  const pf = patchFieldOf(r);

  beforeAll(async () => {
    w = await writeOrg();
    admin = w.tokens.admin;
    // The references a minimal create needs exist before any generation is read.
    await w.body(r);
  });

  it('create, update, delete, restore and hard delete: headers, stored rows, audit rows', async () => {
    const body = { ...(await w.body(r)) };
    body[pf] ??= sampleOf(r, pf);
    const created = await send('POST', `/v1/${r.name}`, { token: admin, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.data.id;
    expect(created.headers.get('Location')).toBe(`/v1/${r.name}/${id}`);
    expect(created.headers.get('ETag')).toMatch(ETAG);
    moved(created);
    for (const [k, v] of Object.entries(body)) expect(created.body.data[k], k).toBe(v);
    const row = await rowOf(r, id);
    expect(row?.org_id).toBe(w.org.id);
    if (listable(r)) {
      const got = await get(created.headers.get('Location') as string, { token: admin });
      expect(got.status).toBe(200);
      expect(got.body.data).toEqual(created.body.data);
      expect(got.headers.get('ETag')).toBe(created.headers.get('ETag'));
    }
    let audit = await auditOf(w.org.id, id);
    expect(audit).toEqual([
      {
        action: 'create',
        object_type: r.name,
        actor_id: w.org.users.admin.id,
        changes: createDiff(row ?? {}),
        request_id: created.headers.get('X-Request-Id'),
      },
    ]);

    // PATCH one field: the change is stored, the ETag moves, the audit row names that field only.
    const to = otherSampleOf(r, pf, body[pf]);
    const patched = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [pf]: to } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.data[pf]).toBe(to);
    expect(patched.headers.get('ETag')).toMatch(ETAG);
    expect(patched.headers.get('ETag')).not.toBe(created.headers.get('ETag'));
    moved(patched);
    expect((await rowOf(r, id))?.[pf]).toBe(to);
    if (listable(r)) {
      const got = await get(`/v1/${r.name}/${id}`, { token: admin });
      expect(got.body.data[pf]).toBe(to);
      expect(got.headers.get('ETag')).toBe(patched.headers.get('ETag'));
    }
    audit = await auditOf(w.org.id, id);
    expect(audit).toHaveLength(2);
    expect(audit[1]).toEqual({
      action: 'update',
      object_type: r.name,
      actor_id: w.org.users.admin.id,
      changes: { [pf]: { from: body[pf], to } },
      request_id: patched.headers.get('X-Request-Id'),
    });

    // DELETE: soft where the resource keeps a trash, a deactivation for users, else for good.
    const before = (await rowOf(r, id)) ?? {};
    const deleted = await send('DELETE', `/v1/${r.name}/${id}`, { token: admin });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    moved(deleted);
    const after = await rowOf(r, id);
    audit = await auditOf(w.org.id, id);
    expect(audit).toHaveLength(3);
    expect(audit[2]).toMatchObject({ object_type: r.name, actor_id: w.org.users.admin.id, request_id: deleted.headers.get('X-Request-Id') });
    if (r.softDelete) {
      expect(after?.deleted_at).not.toBeNull();
      expect(after?.deleted_by).toBe(w.org.users.admin.id);
      expect(audit[2]).toMatchObject({
        action: 'delete',
        changes: { deleted_at: { from: null, to: after?.deleted_at }, deleted_by: { from: null, to: w.org.users.admin.id } },
      });
      expect(Object.keys(audit[2].changes ?? {}).sort()).toEqual(['deleted_at', 'deleted_by']);
      expect((await get(`/v1/${r.name}/${id}`, { token: admin })).status).toBe(404);
      const trash = await get(`/v1/${r.name}?deleted=only&id=eq.${id}`, { token: admin });
      expect(trash.body.data.map((x: { id: string }) => x.id)).toEqual([id]);
      expect((await get(`/v1/${r.name}?id=eq.${id}`, { token: admin })).body.data).toEqual([]);
      // A record in the trash is a 404 to a second delete and to an update; a batch names it.
      expect((await send('DELETE', `/v1/${r.name}/${id}`, { token: admin })).status).toBe(404);
      expect((await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [pf]: body[pf] } })).status).toBe(404);
      const trashed = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: [{ id, [pf]: body[pf] }] } });
      expect([trashed.status, trashed.body.errors]).toEqual([422, [{ path: 'records[0].id', message: expect.any(String) }]]);
      expect(await auditOf(w.org.id, id)).toHaveLength(3);

      const restored = await send('POST', `/v1/${r.name}/${id}/restore`, { token: admin });
      expect(restored.status, JSON.stringify(restored.body)).toBe(200);
      moved(restored);
      expect((await rowOf(r, id))?.deleted_at).toBeNull();
      const live = await get(`/v1/${r.name}/${id}`, { token: admin });
      expect(live.status).toBe(200);
      expect(live.headers.get('ETag')).toBe(restored.headers.get('ETag'));
      audit = await auditOf(w.org.id, id);
      expect(audit[3]).toMatchObject({
        action: 'restore',
        changes: { deleted_at: { from: after?.deleted_at, to: null }, deleted_by: { from: w.org.users.admin.id, to: null } },
      });
      // Restoring a live record changes nothing and logs nothing.
      expect((await send('POST', `/v1/${r.name}/${id}/restore`, { token: admin })).status).toBe(200);
      expect(await auditOf(w.org.id, id)).toHaveLength(4);
    } else if (r.name === 'users') {
      expect(after?.is_active).toBe(false);
      expect(audit[2]).toMatchObject({ action: 'delete', changes: { is_active: { from: true, to: false } } });
      expect(Object.keys(audit[2].changes ?? {})).toEqual(['is_active']);
      const got = await get(`/v1/users/${id}`, { token: admin });
      expect(got.body.data.is_active).toBe(false);
      // A deactivated user's token opens nothing.
      const token = await tokenFor({ id, role: 'member', orgId: w.org.id });
      expect((await get('/v1/contacts?limit=1', { token })).status).toBe(401);
    } else {
      expect(after).toBeUndefined();
      expect(audit[2]).toMatchObject({ action: 'hard_delete', changes: removedDiff(before) });
      if (listable(r)) expect((await get(`/v1/${r.name}/${id}`, { token: admin })).status).toBe(404);
      expect((await send('DELETE', `/v1/${r.name}/${id}`, { token: admin })).status).toBe(404);
      return;
    }

    // hard=true: admins only; then the row is gone and the trail says what was removed.
    const last = (await rowOf(r, id)) ?? {};
    for (const token of [w.tokens.manager, w.tokens.member]) {
      const refused = await send('DELETE', `/v1/${r.name}/${id}?hard=true`, { token });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('forbidden');
    }
    expect(await rowOf(r, id)).toEqual(last);
    const hard = await send('DELETE', `/v1/${r.name}/${id}?hard=true`, { token: admin });
    expect(hard.status, JSON.stringify(hard.body)).toBe(204);
    moved(hard);
    expect(await rowOf(r, id)).toBeUndefined();
    audit = await auditOf(w.org.id, id);
    expect(audit.at(-1)).toMatchObject({ action: 'hard_delete', object_type: r.name, changes: removedDiff(last) });
    expect(audit.map((a) => a.action)).toEqual(
      r.softDelete ? ['create', 'update', 'delete', 'restore', 'hard_delete'] : ['create', 'update', 'delete', 'hard_delete'],
    );
  });

  it(specOf(r).adminOnly ? 'managers and members may not write it (403, nothing written)' : 'members and managers write it too', async () => {
    for (const role of ['manager', 'member'] as const) {
      const { id } = await w.create(r);
      const token = w.tokens[role];
      const before = await footprint(r, w.org.id);
      const row = await rowOf(r, id);
      const body = await w.body(r);
      const attempts = [
        await send('POST', `/v1/${r.name}`, { token, body }),
        await send('PATCH', `/v1/${r.name}/${id}`, { token, body: { [pf]: otherSampleOf(r, pf, row?.[pf]) } }),
        await send('POST', `/v1/${r.name}/batch`, { token, body: { records: [await w.body(r)] } }),
        await send('DELETE', `/v1/${r.name}/${id}`, { token }),
      ];
      if (specOf(r).adminOnly) {
        for (const res of attempts) {
          expect(res.status, `${role}: ${JSON.stringify(res.body)}`).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
        expect(await footprint(r, w.org.id)).toEqual(before);
        expect(await rowOf(r, id)).toEqual(row);
      } else {
        expect(
          attempts.map((x) => x.status),
          `${role}: ${JSON.stringify(attempts.map((x) => x.body))}`,
        ).toEqual([201, 200, 200, 204]);
        const audit = await auditOf(w.org.id, attempts[0].body.data.id);
        expect(audit).toMatchObject([{ action: 'create', actor_id: w.org.users[role].id }]);
        if (r.softDelete) expect((await send('POST', `/v1/${r.name}/${id}/restore`, { token })).status).toBe(200);
      }
    }
  });

  it('a refused write (412, 400, 422) leaves no row, no audit row and no new generation', async () => {
    const { id, etag } = await w.create(r);
    const row = await rowOf(r, id);
    const patched = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [pf]: otherSampleOf(r, pf, row?.[pf]) } });
    expect(patched.status).toBe(200);
    const before = await footprint(r, w.org.id);
    const now = await rowOf(r, id);

    const stale = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [pf]: otherSampleOf(r, pf, now?.[pf]) }, headers: { 'If-Match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    const staleDelete = await send('DELETE', `/v1/${r.name}/${id}`, { token: admin, headers: { 'If-Match': etag } });
    expect(staleDelete.status).toBe(412);

    const empty = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: {} });
    expect([empty.status, empty.body.code], 'an empty PATCH is a client bug').toEqual([400, 'invalid_body']);

    const invalid = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [pf]: { not: 'a value' } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path)).toEqual([pf]);

    const refs = Object.keys(specOf(r).references ?? {});
    if (refs.length) {
      const missing = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [refs[0]]: crypto.randomUUID() } });
      expect(missing.status, JSON.stringify(missing.body)).toBe(422);
      expect(missing.body).toMatchObject({ code: 'constraint_violation', rule: 'reference_in_org', errors: [{ path: refs[0] }] });
    }
    expect(await footprint(r, w.org.id)).toEqual(before);
    expect(await rowOf(r, id)).toEqual(now);
  });
});

describe('every writable resource is covered', () => {
  it("its bodies are named after the resource's singular in /openapi.json", async () => {
    const schemas = Object.keys((await get('/openapi.json')).body.components.schemas);
    for (const name of ['Contact', 'Company', 'Lead', 'Deal', 'Activity', 'Pipeline', 'User', 'Team', 'Tag', 'Address', 'Stage', 'CustomerRelationship'])
      for (const kind of ['Create', 'Update', 'Batch', 'BatchRecord']) expect(schemas).toContain(`${name}${kind}`);
  });

  it('WRITABLE holds the listable resources and the embedded ones with a write side', () => {
    expect(WRITABLE.map((r) => r.name).sort()).toEqual(
      ['activities', 'addresses', 'companies', 'contacts', 'customer_relationships', 'deals', 'leads', 'pipelines', 'stages', 'tags', 'teams', 'users'].sort(),
    );
  });
});
