import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceDef } from '../../src/query/resource';
import { WRITABLE } from '../../src/resources/writes';
import { MAX_BATCH } from '../../src/write/body';
import { statementsOf as statements, warmCaller } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';
import { footprint, otherSampleOf, patchFieldOf, resourceNamed, rowOf, type WriteOrg, writeOrg } from '../support/write-fixture';

// POST /v1/{resource}/batch (DESIGN §5.7): up to 1000 records, creates and updates mixed, all
// or nothing, errors naming records[i].field; and a constant number of statements whatever
// the batch's size.

/** The distinct paths a problem names (one field may break two rules). */
const paths = (res: { body: any }) => [...new Set((res.body?.errors ?? []).map((e: { path: string }) => e.path))];

/**
 * n minimal create bodies. A customer relationship's key is (contact, created_at) and created_at
 * is the transaction's time, so each gets a contact of its own (see the test of that below).
 */
async function bodies(w: WriteOrg, r: ResourceDef, n: number): Promise<Array<Record<string, unknown>>> {
  const out = await Promise.all(Array.from({ length: n }, () => w.body(r)));
  if (r.name === 'customer_relationships') {
    const contacts = await send('POST', '/v1/contacts/batch', { token: w.tokens.admin, body: { records: out.map(() => ({ first_name: 'Rel' })) } });
    contacts.body.data.forEach((c: { id: string }, i: number) => {
      out[i].contact_id = c.id;
    });
  }
  return out;
}

/**
 * Per resource, an update that passes validation and fails in the database (a constraint), so
 * the batch fails after its creates were inserted: the rollback is what undoes them.
 */
const FAILS_IN_DATABASE: Record<string, (existing: string[], w: WriteOrg) => Promise<Record<string, unknown>>> = {
  contacts: async ([a, b]) => {
    await sql(`update contacts set customer_id = 'dup-' || id where id = any($1)`, [[a, b]]);
    return { id: a, customer_id: `dup-${b}` };
  },
  leads: async ([a]) => ({ id: a, score: 101 }),
  deals: async ([a]) => ({ id: a, value: '-1' }),
  stages: async ([a]) => ({ id: a, probability: 101 }),
  companies: async ([a]) => ({ id: a, annual_revenue: '99999999999999999999' }),
  pipelines: async ([a, b]) => ({ id: a, name: (await rowOf(resourceNamed('pipelines'), b))?.name }),
  tags: async ([a, b]) => ({ id: a, name: (await rowOf(resourceNamed('tags'), b))?.name }),
  teams: async ([a, b]) => ({ id: a, name: (await rowOf(resourceNamed('teams'), b))?.name }),
  users: async ([a, b]) => ({ id: a, email: (await rowOf(resourceNamed('users'), b))?.email }),
};

describe.each(WRITABLE.map((r) => [r.name, r] as const))('%s', (_, r) => {
  let w: WriteOrg;
  let admin: string;
  const pf = patchFieldOf(r);
  beforeAll(async () => {
    w = await writeOrg();
    admin = w.tokens.admin;
  });

  it('creates and updates in one request, answered in request order, each with its audit row', async () => {
    const [a, b] = [await w.create(r), await w.create(r)];
    const [rowA, rowB] = [await rowOf(r, a.id), await rowOf(r, b.id)];
    const [newA, newB] = [otherSampleOf(r, pf, rowA?.[pf]), otherSampleOf(r, pf, rowB?.[pf])];
    const [c1, c2] = await bodies(w, r, 2);
    const res = await send('POST', `/v1/${r.name}/batch`, {
      token: admin,
      body: { records: [c1, { id: a.id, [pf]: newA }, c2, { id: b.id.toUpperCase(), [pf]: newB }] },
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(Number(res.headers.get('X-Generation'))).toBeGreaterThan(b.generation);
    const data = res.body.data;
    expect(data).toHaveLength(4);
    expect([data[1].id, data[3].id]).toEqual([a.id, b.id]);
    expect([data[1][pf], data[3][pf]]).toEqual([newA, newB]);
    for (const [i, body] of [
      [0, c1],
      [2, c2],
    ] as const)
      for (const [k, v] of Object.entries(body)) expect(data[i][k], `records[${i}].${k}`).toBe(v);
    expect((await rowOf(r, a.id))?.[pf]).toBe(newA);

    const audit = await sql('select action, object_id, changes, request_id from audit_log where org_id = $1 and request_id = $2 order by id', [
      w.org.id,
      res.headers.get('X-Request-Id'),
    ]);
    expect(audit.map((x) => [x.action, x.object_id]).sort()).toEqual(
      [
        ['create', data[0].id],
        ['create', data[2].id],
        ['update', a.id],
        ['update', b.id],
      ].sort(),
    );
    expect(audit.find((x) => x.object_id === a.id)?.changes).toEqual({ [pf]: { from: rowA?.[pf], to: newA } });
  });

  it('refuses a batch with a bad record whole: records[i].field, too many records, duplicate or unknown ids', async () => {
    const existing = await w.create(r);
    const row = await rowOf(r, existing.id);
    const fresh = await bodies(w, r, 8);
    const ok = async () => fresh.pop() as Record<string, unknown>;
    const valid = await w.body(r);
    const before = await footprint(r, w.org.id);
    const cases: Array<[string, unknown, number, string[]]> = [
      ['a bad value', { records: [await ok(), await ok(), { ...(await ok()), [pf]: { not: 'a value' } }] }, 400, [`records[2].${pf}`]],
      ['a bad value in an update', { records: [await ok(), { id: existing.id, [pf]: [] }] }, 400, [`records[1].${pf}`]],
      [`${MAX_BATCH + 1} records`, { records: Array.from({ length: MAX_BATCH + 1 }, () => valid) }, 400, ['records']],
      ['no records', { records: [] }, 400, ['records']],
      [
        'the same id twice (in another case)',
        {
          records: [{ id: existing.id, [pf]: row?.[pf] }, await ok(), { id: existing.id.toUpperCase(), [pf]: row?.[pf] }],
        },
        400,
        ['records[2].id'],
      ],
      ['an id that does not exist', { records: [await ok(), { id: crypto.randomUUID(), [pf]: row?.[pf] }] }, 422, ['records[1].id']],
      ['an id but nothing to change', { records: [await ok(), { id: existing.id }] }, 400, ['records[1].id']],
    ];
    for (const [what, body, status, where] of cases) {
      const res = await send('POST', `/v1/${r.name}/batch`, { token: admin, body });
      expect(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(status);
      expect(paths(res), what).toEqual(where);
    }
    expect(await footprint(r, w.org.id)).toEqual(before);
    expect(await rowOf(r, existing.id)).toEqual(row);
  });

  it("an id of another org's record is a 422 naming it, and that record stays as it was", async () => {
    const other = await writeOrg();
    const theirs = await other.create(r);
    const row = await rowOf(r, theirs.id);
    const res = await send('POST', `/v1/${r.name}/batch`, {
      token: admin,
      body: { records: [...(await bodies(w, r, 1)), { id: theirs.id, [pf]: otherSampleOf(r, pf, row?.[pf]) }] },
    });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(['records[1].id']);
    if (typeof row?.[pf] === 'string') expect(JSON.stringify(res.body)).not.toContain(row[pf]);
    expect(await rowOf(r, theirs.id)).toEqual(row);
  });

  const failing = FAILS_IN_DATABASE[r.name];
  if (failing)
    it('a record the database refuses after the creates were inserted rolls back the whole batch', async () => {
      const [a, b, c] = [await w.create(r), await w.create(r), await w.create(r)];
      const bad = await failing([a.id, b.id], w);
      const rows = await Promise.all([a, b, c].map((x) => rowOf(r, x.id)));
      const creates = await bodies(w, r, 3);
      const before = await footprint(r, w.org.id);
      const res = await send('POST', `/v1/${r.name}/batch`, {
        token: admin,
        // Creates (one insert), an update that works (its own statement), then the bad one.
        body: { records: [...creates, { id: c.id, [pf]: otherSampleOf(r, pf, rows[2]?.[pf]) }, bad] },
      });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await footprint(r, w.org.id)).toEqual(before);
      expect(await Promise.all([a, b, c].map((x) => rowOf(r, x.id)))).toEqual(rows);
    });

  it('1000 creates, then 1000 updates, each in as many statements as 2 of them', async () => {
    await warmCaller(admin);
    const small = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: await bodies(w, r, 2) } });
    expect(small.status, JSON.stringify(small.body).slice(0, 300)).toBe(200);
    await warmCaller(admin);
    const big = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: await bodies(w, r, MAX_BATCH) } });
    expect(big.status, JSON.stringify(big.body).slice(0, 300)).toBe(200);
    expect(big.body.data).toHaveLength(MAX_BATCH);
    expect(statements(big), 'statements for 1000 creates').toBe(statements(small));
    expect(statements(big)).toBeLessThanOrEqual(12);
    expect((await footprint(r, w.org.id)).rows).toBeGreaterThanOrEqual(MAX_BATCH + 2);

    const ids: string[] = big.body.data.map((x: { id: string }) => x.id);
    const update = (n: number) => ids.slice(0, n).map((id) => ({ id, [pf]: otherSampleOf(r, pf, big.body.data[0][pf]) }));
    await warmCaller(admin);
    const few = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: update(2) } });
    expect(few.status, JSON.stringify(few.body).slice(0, 300)).toBe(200);
    await warmCaller(admin);
    const many = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: update(MAX_BATCH) } });
    expect(many.status, JSON.stringify(many.body).slice(0, 300)).toBe(200);
    expect(statements(many), 'statements for 1000 updates').toBe(statements(few));
    const audit = await sql('select count(*)::int as n from audit_log where org_id = $1 and request_id = $2', [w.org.id, many.headers.get('X-Request-Id')]);
    expect(audit[0].n).toBe(MAX_BATCH);
  });
});

describe('contacts: a batch of 1000 creates', () => {
  it('takes at most 10 statements', async () => {
    const w = await writeOrg();
    await warmCaller(w.tokens.admin);
    const res = await send('POST', '/v1/contacts/batch', {
      token: w.tokens.admin,
      body: { records: Array.from({ length: MAX_BATCH }, (_, i) => ({ first_name: `Many${i}`, last_name: 'Batch', email: `many${i}@example.com` })) },
    });
    expect(res.status).toBe(200);
    expect(statements(res)).toBeLessThanOrEqual(10);
    expect((await footprint(resourceNamed('contacts'), w.org.id)).rows).toBe(MAX_BATCH);
  });
});

describe('database rules in a batch', () => {
  it('a rule the database enforces, broken by one record of a batch, names that record', async () => {
    const w = await writeOrg();
    await w.create(resourceNamed('contacts'), { customer_id: 'taken-1' });
    const res = await send('POST', '/v1/contacts/batch', {
      token: w.tokens.admin,
      body: { records: [{ first_name: 'Fine' }, { first_name: 'Fine too' }, { first_name: 'Clash', customer_id: 'taken-1' }] },
    });
    expect(res.status).toBe(409);
    expect(res.body.rule).toBe('unique_customer_id');
    expect(paths(res)).toEqual(['records[2].customer_id']);
    const [{ n }] = await sql("select count(*)::int as n from contacts where org_id = $1 and first_name like 'Fine%'", [w.org.id]);
    expect(n).toBe(0);
  });

  it('two loyalty entries of one contact need their own created_at: without, a 409 naming the rule; with, both are written', async () => {
    const w = await writeOrg();
    const contact = await w.ref('contacts');
    const clash = await send('POST', '/v1/customer_relationships/batch', {
      token: w.tokens.admin,
      body: {
        records: [
          { contact_id: contact, points: 1 },
          { contact_id: contact, points: 2 },
        ],
      },
    });
    expect(clash.status, JSON.stringify(clash.body)).toBe(409);
    expect(clash.body.rule).toBe('one_relationship_entry_per_instant');
    const ok = await send('POST', '/v1/customer_relationships/batch', {
      token: w.tokens.admin,
      body: {
        records: [
          { contact_id: contact, points: 1, created_at: '2024-01-01T00:00:00Z' },
          { contact_id: contact, points: 2, created_at: '2024-02-01T00:00:00Z' },
        ],
      },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data.map((r: { points: number }) => r.points)).toEqual([1, 2]);
  });
});

// The record a duplicate key belongs to is found by comparing the server's key text with the
// values sent (src/write/constraints.ts failingRecord), in the forms the server writes them.
describe('a duplicate key in a batch names its record, however the server writes the key', () => {
  const clash = async (resource: string, records: (w: WriteOrg) => Promise<unknown[]>) => {
    const w = await writeOrg();
    const res = await send('POST', `/v1/${resource}/batch`, { token: w.tokens.admin, body: { records: await records(w) } });
    expect(res.status).toBe(409);
    return paths(res);
  };

  it('a key on a timestamp (the server writes 2024-01-01 00:00:00+00, the body 2024-01-01T00:00:00Z)', async () => {
    const at = '2024-01-01T00:00:00Z';
    const got = await clash('customer_relationships', async (w) => {
      const contact = await w.ref('contacts');
      return [
        { contact_id: contact, points: 1, created_at: at },
        { contact_id: contact, points: 2, created_at: at },
      ];
    });
    expect(got).toEqual(['records[0].created_at']);
  });

  it('a key on an expression (users: lower(email)) with another case', async () => {
    const got = await clash('users', async (w) => {
      await w.create(resourceNamed('users'), { email: 'Mixed@Example.com' });
      return [
        { email: 'fine@example.com', name: 'Fine' },
        { email: 'mixed@example.com', name: 'Dup' },
      ];
    });
    expect(got).toEqual(['records[1].email']);
  });

  it('a key on a column the server quotes (pipeline_stages "position")', async () => {
    const got = await clash('stages', async (w) => {
      const pipeline = await w.ref('pipelines');
      return [
        { pipeline_id: pipeline, name: 'A', position: 500 },
        { pipeline_id: pipeline, name: 'B', position: 501 },
        { pipeline_id: pipeline, name: 'C', position: 500 },
      ];
    });
    expect(got[0]).toMatch(/^records\[[02]\]\.position$/);
  });

  // Known limit, pinned: the value is the server's own (the transaction's time), so no record
  // sent it; the error names the field only. Passes once that is solved, and must then be it().
  it.fails('a key on a value the server filled in (two loyalty entries without created_at) names the record', async () => {
    const got = await clash('customer_relationships', async (w) => {
      const contact = await w.ref('contacts');
      return [
        { contact_id: contact, points: 1 },
        { contact_id: contact, points: 2 },
      ];
    });
    expect(got[0]).toMatch(/^records\[[01]\]\./);
  });
});
