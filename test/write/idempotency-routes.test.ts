import { beforeAll, describe, expect, it } from 'vitest';
import { sql, withClient } from '../support/sql';
import { send } from '../support/write';
import { auditOf, footprint, resourceNamed, type WriteOrg, writeOrg } from '../support/write-fixture';

// Idempotency-Key on the real write routes (DESIGN §5.8; the middleware alone is tested in
// test/http/idempotency.test.ts): a retry never writes twice, its answer is the first one.

const deals = resourceNamed('deals');
const newKey = () => `key-${crypto.randomUUID()}`;
const dealsNamed = async (orgId: string, name: string) => (await sql('select id from deals where org_id = $1 and name = $2', [orgId, name])).map((r) => r.id);
const REPLAYED = 'Idempotent-Replayed';

describe('Idempotency-Key on the write routes', () => {
  let w: WriteOrg;
  let dealBody: (name: string) => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    w = await writeOrg();
    dealBody = async (name) => ({ ...(await w.body(deals)), name, value: '1200.00' });
  });
  const post = (body: unknown, key: string, token = w.tokens.admin) => send('POST', '/v1/deals', { token, body, headers: { 'Idempotency-Key': key } });

  it('POST /v1/deals twice with one key: one deal; the retry replays the first answer, headers included', async () => {
    const key = newKey();
    const body = await dealBody('Renewal once');
    const first = await post(body, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get(REPLAYED)).toBeNull();
    const after = await footprint(deals, w.org.id);
    for (let i = 0; i < 2; i++) {
      const again = await post(body, key);
      expect(again.status).toBe(201);
      expect(again.headers.get(REPLAYED)).toBe('true');
      expect(again.body).toEqual(first.body);
      for (const h of ['Location', 'ETag', 'X-Generation']) expect(again.headers.get(h), h).toBe(first.headers.get(h));
    }
    // Nothing written, no new generation: the retry never reached the handler.
    expect(await footprint(deals, w.org.id)).toEqual(after);
    expect(await dealsNamed(w.org.id, 'Renewal once')).toEqual([first.body.data.id]);
    expect((await auditOf(w.org.id, first.body.data.id)).map((a) => a.action)).toEqual(['create']);
  });

  it('the same key with another body is a 422 idempotency_key_reused and writes nothing', async () => {
    const key = newKey();
    const first = await post(await dealBody('Reused key'), key);
    expect(first.status).toBe(201);
    const before = await footprint(deals, w.org.id);
    const other = await post(await dealBody('Another deal'), key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(JSON.stringify(other.body)).not.toContain(first.body.data.id);
    expect(await footprint(deals, w.org.id)).toEqual(before);
    expect(await dealsNamed(w.org.id, 'Another deal')).toEqual([]);
  });

  it('a retry while the first request still runs is a 409 idempotency_in_progress; one deal in the end', async () => {
    const key = newKey();
    const body = await dealBody('Held');
    const pipeline = body.pipeline_id as string;
    // Hold the deal's pipeline row: the insert's foreign-key check waits for it, so the first
    // request has claimed its key and is still running when the second arrives.
    const [first, second] = await withClient(async (lock) => {
      await lock.query('begin');
      await lock.query('select 1 from pipelines where id = $1 for update', [pipeline]);
      const running = post(body, key);
      for (let i = 0; i < 100; i++) {
        const [row] = await sql('select status from idempotency_keys where org_id = $1 and key = $2', [w.org.id, key]);
        if (row) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const retry = await post(body, key);
      await lock.query('commit');
      return [await running, retry];
    });
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.code).toBe('idempotency_in_progress');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(await dealsNamed(w.org.id, 'Held')).toEqual([first.body.data.id]);
    const later = await post(body, key);
    expect(later.status).toBe(201);
    expect(later.headers.get(REPLAYED)).toBe('true');
  });

  it('two first requests at once: one deal, and the other is a 409 or the replay', async () => {
    for (let round = 0; round < 3; round++) {
      const key = newKey();
      const name = `Racing ${round}`;
      const body = await dealBody(name);
      const both = await Promise.all([post(body, key), post(body, key)]);
      const statuses = both.map((x) => x.status).sort();
      expect([
        [201, 409],
        [201, 201],
      ]).toContainEqual(statuses);
      expect(await dealsNamed(w.org.id, name)).toHaveLength(1);
      if (statuses[1] === 201) expect(both.filter((x) => x.headers.get(REPLAYED) === 'true')).toHaveLength(1);
    }
  });

  it('a refused body (400) does not use up the key: the corrected request runs', async () => {
    const key = newKey();
    const refused = await post({ ...(await dealBody('Fixed later')), status: 'won' }, key);
    expect(refused.status).toBe(400);
    const fixed = await post(await dealBody('Fixed later'), key);
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(201);
    expect(fixed.headers.get(REPLAYED)).toBeNull();
    expect(await dealsNamed(w.org.id, 'Fixed later')).toHaveLength(1);
  });

  it('PATCH with a key: the retry replays, the record is changed and audited once', async () => {
    const { id } = await w.create(deals, { name: 'Patch me' });
    const key = newKey();
    const patch = (body: unknown) => send('PATCH', `/v1/deals/${id}`, { token: w.tokens.admin, body, headers: { 'Idempotency-Key': key } });
    const first = await patch({ name: 'Patched once' });
    expect(first.status).toBe(200);
    const again = await patch({ name: 'Patched once' });
    expect(again.status).toBe(200);
    expect(again.headers.get(REPLAYED)).toBe('true');
    expect(again.headers.get('ETag')).toBe(first.headers.get('ETag'));
    expect((await auditOf(w.org.id, id)).map((a) => a.action)).toEqual(['create', 'update']);
    const [row] = await sql('select name from deals where id = $1', [id]);
    expect(row.name).toBe('Patched once');
    const other = await patch({ name: 'Patched twice' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    // The same key on another record's path is another request too.
    const { id: otherId } = await w.create(deals, { name: 'Other' });
    const elsewhere = await send('PATCH', `/v1/deals/${otherId}`, {
      token: w.tokens.admin,
      body: { name: 'Patched once' },
      headers: { 'Idempotency-Key': key },
    });
    expect(elsewhere.status).toBe(422);
    expect((await sql('select name from deals where id = $1', [otherId]))[0].name).toBe('Other');
  });

  it('a batch with a key: the retry writes no record twice', async () => {
    const key = newKey();
    const tag = crypto.randomUUID().slice(0, 8);
    const body = { records: Array.from({ length: 20 }, (_, i) => ({ first_name: `Idem${i}`, last_name: tag })) };
    const first = await send('POST', '/v1/contacts/batch', { token: w.tokens.admin, body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(200);
    const again = await send('POST', '/v1/contacts/batch', { token: w.tokens.admin, body, headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(200);
    expect(again.headers.get(REPLAYED)).toBe('true');
    expect(again.body).toEqual(first.body);
    const [{ n }] = await sql('select count(*)::int as n from contacts where org_id = $1 and last_name = $2', [w.org.id, tag]);
    expect(n).toBe(20);
  });

  it("a key is the caller's: another user of the org sending it is a 422, another org's user starts afresh", async () => {
    const key = newKey();
    const body = await dealBody('Mine');
    expect((await post(body, key, w.tokens.admin)).status).toBe(201);
    const manager = await post(body, key, w.tokens.manager);
    expect(manager.status).toBe(422);
    expect(await dealsNamed(w.org.id, 'Mine')).toHaveLength(1);
    const other = await writeOrg();
    const theirs = await send('POST', '/v1/deals', {
      token: other.tokens.admin,
      body: { ...(await other.body(deals)), name: 'Mine' },
      headers: { 'Idempotency-Key': key },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get(REPLAYED)).toBeNull();
  });
});
