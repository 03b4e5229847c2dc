import { beforeAll, describe, expect, it } from 'vitest';
import { WRITABLE } from '../../src/resources/writes';
import { get } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';
import { auditOf, otherSampleOf, patchFieldOf, resourceNamed, rowOf, type WriteOrg, writeOrg } from '../support/write-fixture';

// Optimistic concurrency (DESIGN §5.7): If-Match on PATCH and DELETE is compared under the
// row's lock, so of two writers holding one ETag exactly one wins and the other gets a 412 with
// nothing changed. Writers without If-Match take turns and both go through.

describe('If-Match races', () => {
  let w: WriteOrg;
  beforeAll(async () => {
    w = await writeOrg();
  });

  it.each(WRITABLE.map((r) => [r.name, r] as const))('%s: two PATCHes with one ETag at once, one 200 and one 412; the winner’s value stays', async (_, r) => {
    const pf = patchFieldOf(r);
    for (let round = 0; round < 3; round++) {
      const { id, etag } = await w.create(r);
      const start = (await rowOf(r, id))?.[pf];
      const first = otherSampleOf(r, pf, start);
      let second = otherSampleOf(r, pf, start);
      while (second === first) second = otherSampleOf(r, pf, start);
      const values = [first, second];
      const both = await Promise.all(
        values.map((v) => send('PATCH', `/v1/${r.name}/${id}`, { token: w.tokens.admin, body: { [pf]: v }, headers: { 'If-Match': etag } })),
      );
      expect(both.map((x) => x.status).sort(), JSON.stringify(both.map((x) => x.body))).toEqual([200, 412]);
      const winner = both.findIndex((x) => x.status === 200);
      expect(both[1 - winner].body.code).toBe('precondition_failed');
      expect((await rowOf(r, id))?.[pf]).toBe(values[winner]);
      const audit = await auditOf(w.org.id, id);
      expect(audit.map((a) => a.action)).toEqual(['create', 'update']);
      expect(audit[1].changes).toEqual({ [pf]: { from: start, to: values[winner] } });
    }
  });
});

describe('contacts: If-Match', () => {
  let w: WriteOrg;
  let admin: string;
  const create = async (first_name = 'Etag') => {
    const res = await send('POST', '/v1/contacts', { token: admin, body: { first_name } });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as string, etag: res.headers.get('ETag') as string };
  };
  const firstName = async (id: string) => (await rowOf(resourceNamed('contacts'), id))?.first_name;
  beforeAll(async () => {
    w = await writeOrg();
    admin = w.tokens.admin;
  });

  it('without If-Match, two PATCHes at once both go through, one after the other', async () => {
    const { id } = await create('Start');
    const both = await Promise.all(['One', 'Two'].map((v) => send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { first_name: v } })));
    expect(both.map((x) => x.status)).toEqual([200, 200]);
    const audit = await auditOf(w.org.id, id);
    expect(audit.map((a) => a.action)).toEqual(['create', 'update', 'update']);
    // The row lock orders them: the second saw the first's value.
    const [a, b] = [audit[1].changes?.first_name, audit[2].changes?.first_name];
    expect(a.from).toBe('Start');
    expect(b.from).toBe(a.to);
    expect(await firstName(id)).toBe(b.to);
  });

  it('a PATCH or DELETE with a stale ETag is a 412 and changes nothing; the current one goes through', async () => {
    const { id, etag } = await create('Stale');
    const patched = await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { first_name: 'Fresh' }, headers: { 'If-Match': etag } });
    expect(patched.status).toBe(200);
    const current = patched.headers.get('ETag') as string;
    const staleDelete = await send('DELETE', `/v1/contacts/${id}`, { token: admin, headers: { 'If-Match': etag } });
    expect(staleDelete.status).toBe(412);
    expect((await get(`/v1/contacts/${id}`, { token: admin })).status).toBe(200);
    expect(await auditOf(w.org.id, id)).toHaveLength(2);
    const deleted = await send('DELETE', `/v1/contacts/${id}`, { token: admin, headers: { 'If-Match': current } });
    expect(deleted.status).toBe(204);
    expect((await get(`/v1/contacts/${id}`, { token: admin })).status).toBe(404);
  });

  it('If-Match: *, a weak tag and a list holding the current tag are accepted', async () => {
    const { id, etag } = await create('Star');
    const star = await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { first_name: 'A' }, headers: { 'If-Match': '*' } });
    expect(star.status).toBe(200);
    expect(star.headers.get('ETag')).not.toBe(etag);
    const weak = await send('PATCH', `/v1/contacts/${id}`, {
      token: admin,
      body: { first_name: 'B' },
      headers: { 'If-Match': `W/${star.headers.get('ETag')}` },
    });
    expect(weak.status).toBe(200);
    const list = await send('PATCH', `/v1/contacts/${id}`, {
      token: admin,
      body: { first_name: 'C' },
      headers: { 'If-Match': `${etag}, ${weak.headers.get('ETag')}` },
    });
    expect(list.status).toBe(200);
    expect(await firstName(id)).toBe('C');
    expect((await send('DELETE', `/v1/contacts/${id}`, { token: admin, headers: { 'If-Match': '*' } })).status).toBe(204);
  });

  it('a malformed If-Match is a 400 naming the header, and nothing changes', async () => {
    const { id } = await create('Malformed');
    for (const header of ['abc', '"unterminated', 'W/', '12345']) {
      for (const method of ['PATCH', 'DELETE']) {
        const res = await send(method, `/v1/contacts/${id}`, {
          token: admin,
          body: method === 'PATCH' ? { first_name: 'Changed' } : undefined,
          headers: { 'If-Match': header },
        });
        expect(res.status, `${method} If-Match: ${header}`).toBe(400);
        expect(res.body.errors?.[0]?.path).toBe('If-Match');
      }
    }
    expect(await firstName(id)).toBe('Malformed');
    expect(await auditOf(w.org.id, id)).toHaveLength(1);
  });

  it("another org's record is a 404 whatever the If-Match, never a 412", async () => {
    const other = await writeOrg();
    const { id, etag } = await create('Theirs');
    for (const ifMatch of [etag, '"1"', '*']) {
      const res = await send('PATCH', `/v1/contacts/${id}`, { token: other.tokens.admin, body: { first_name: 'Mine' }, headers: { 'If-Match': ifMatch } });
      expect(res.status).toBe(404);
      expect((await send('DELETE', `/v1/contacts/${id}`, { token: other.tokens.admin, headers: { 'If-Match': ifMatch } })).status).toBe(404);
    }
    expect(await firstName(id)).toBe('Theirs');
  });

  it("GET's ETag is the one the last write answered (create, update, restore)", async () => {
    const { id, etag } = await create('Tagged');
    const read = async () => (await get(`/v1/contacts/${id}`, { token: admin })).headers.get('ETag');
    expect(await read()).toBe(etag);
    const patched = await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { last_name: 'Once' } });
    expect(await read()).toBe(patched.headers.get('ETag'));
    await send('DELETE', `/v1/contacts/${id}`, { token: admin });
    const restored = await send('POST', `/v1/contacts/${id}/restore`, { token: admin });
    expect(restored.headers.get('ETag')).not.toBe(patched.headers.get('ETag'));
    expect(await read()).toBe(restored.headers.get('ETag'));
    // The ETag a batch update leaves is the one GET then answers, and it moved.
    await send('POST', '/v1/contacts/batch', { token: admin, body: { records: [{ id, last_name: 'Twice' }] } });
    const after = await read();
    expect(after).not.toBe(restored.headers.get('ETag'));
    expect((await send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { last_name: 'Thrice' }, headers: { 'If-Match': after as string } })).status).toBe(
      200,
    );
  });

  it('a PATCH and a DELETE with one ETag at once: exactly one goes through', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, etag } = await create('Either');
      const [patch, del] = await Promise.all([
        send('PATCH', `/v1/contacts/${id}`, { token: admin, body: { first_name: 'Patched' }, headers: { 'If-Match': etag } }),
        send('DELETE', `/v1/contacts/${id}`, { token: admin, headers: { 'If-Match': etag } }),
      ]);
      const won = [patch.status === 200, del.status === 204];
      expect(won.filter(Boolean), `${patch.status} ${del.status}`).toHaveLength(1);
      // The loser found a newer version (412) or, after the delete, no live record (404).
      expect(won[0] ? [412] : [404, 412]).toContain(won[0] ? del.status : patch.status);
      const row = await rowOf(resourceNamed('contacts'), id);
      expect(row?.first_name).toBe(won[0] ? 'Patched' : 'Either');
      expect(row?.deleted_at === null).toBe(won[0]);
    }
  });

  it('two batches updating the same records in opposite orders both go through (no deadlock)', async () => {
    const made = await send('POST', '/v1/contacts/batch', {
      token: admin,
      body: { records: Array.from({ length: 50 }, (_, i) => ({ first_name: `Lock${i}` })) },
    });
    const ids: string[] = made.body.data.map((x: { id: string }) => x.id);
    for (let round = 0; round < 3; round++) {
      const both = await Promise.all(
        [ids, [...ids].reverse()].map((order, k) =>
          send('POST', '/v1/contacts/batch', { token: admin, body: { records: order.map((id) => ({ id, last_name: `Round${round}-${k}` })) } }),
        ),
      );
      expect(
        both.map((x) => x.status),
        JSON.stringify(both.map((x) => x.body?.detail)),
      ).toEqual([200, 200]);
    }
  });

  it('concurrent writes of one org each answer their own X-Generation', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => send('POST', '/v1/contacts', { token: admin, body: { first_name: `Gen${i}` } })));
    expect(all.map((x) => x.status)).toEqual(Array(8).fill(201));
    const generations = all.map((x) => Number(x.headers.get('X-Generation')));
    expect(new Set(generations).size, generations.join(',')).toBe(8);
    const [{ generation }] = await sql('select generation::int from org_generations where org_id = $1', [w.org.id]);
    expect(Math.max(...generations)).toBeLessThanOrEqual(generation);
  });
});
