import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceDef } from '../../src/query/resource';
import { WRITABLE } from '../../src/resources/writes';
import { send } from '../support/write';
import {
  footprint,
  isEmail,
  maxLengthOf,
  otherSampleOf,
  pace,
  patchFieldOf,
  resourceNamed,
  rowOf,
  specOf,
  type WriteOrg,
  writeOrg,
} from '../support/write-fixture';

// What a body may set (DESIGN §5.7): the write spec's fields and nothing else, by name, on
// create, update and batch alike; owner_id by role; references inside the caller's org; text
// trimmed and bounded. Every refusal is checked to have written nothing.

/** Fields no body may carry, with a plausible value each (a value of the right type, so only the name is refused). */
function forbidden(r: ResourceDef, other: WriteOrg): Array<[string, unknown]> {
  const spec = specOf(r);
  const always: Array<[string, unknown]> = [
    ['id', crypto.randomUUID()],
    ['org_id', other.org.id],
    ['created_at', '2020-01-01T00:00:00Z'],
    ['updated_at', '2020-01-01T00:00:00Z'],
    ['deleted_at', '2020-01-01T00:00:00Z'],
    ['deleted_by', other.org.users.admin.id],
    ['search', 'x'],
    ['search_text', 'x'],
    ['no_such_field', 'x'],
    ['__proto__', { admin: true }],
    ['constructor', 'x'],
  ];
  const declared = Object.keys(r.fields).filter((n) => !spec.fields.includes(n) && !always.some(([a]) => a === n));
  // created_at may be declared writable (a relationship's history is imported with its dates).
  return [
    ...always.filter(([n]) => !spec.fields.includes(n)),
    ...declared.map((n): [string, unknown] => [n, r.fields[n].type === 'uuid' ? crypto.randomUUID() : 'x']),
  ];
}

const paths = (res: { body: any }) => (res.body?.errors ?? []).map((e: { path: string }) => e.path);

/** JSON text with a key JSON.stringify would drop or treat specially (`__proto__`). */
const withKey = (base: Record<string, unknown>, key: string, value: unknown) =>
  `${JSON.stringify(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value)}}`;

describe('write specs', () => {
  it('never list the id, the org, the bookkeeping stamps or the derived search columns', () => {
    for (const r of WRITABLE)
      for (const name of ['id', 'org_id', 'updated_at', 'deleted_at', 'deleted_by', 'search', 'search_text'])
        expect(specOf(r).fields, r.name).not.toContain(name);
  });
});

describe.each(WRITABLE.map((r) => [r.name, r] as const))('%s', (_, r) => {
  let w: WriteOrg;
  let other: WriteOrg;
  let admin: string;
  const spec = specOf(r);
  const pf = patchFieldOf(r);
  beforeAll(async () => {
    [w, other] = await Promise.all([writeOrg(), writeOrg()]);
    admin = w.tokens.admin;
  });

  it('ids, org, timestamps, derived and unknown fields are refused by name (400 unknown_field), nothing written', async () => {
    const { id } = await w.create(r);
    const row = await rowOf(r, id);
    const before = await footprint(r, w.org.id);
    const change = { [pf]: otherSampleOf(r, pf, row?.[pf]) };
    for (const [name, value] of forbidden(r, other)) {
      const create = await send('POST', `/v1/${r.name}`, { token: admin, body: withKey(await w.body(r), name, value) });
      const update = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: withKey(change, name, value) });
      await pace();
      const attempts: Array<[typeof create, string]> = [
        [create, name],
        [update, name],
      ];
      // A batch record's `id` is its update key, not a field.
      if (name !== 'id') {
        const batch = await send('POST', `/v1/${r.name}/batch`, {
          token: admin,
          body: `{"records":[${JSON.stringify(await w.body(r))},${withKey(await w.body(r), name, value)}]}`,
        });
        attempts.push([batch, `records[1].${name}`]);
      }
      for (const [res, path] of attempts) {
        expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.code, name).toBe('unknown_field');
        expect(paths(res), name).toEqual([path]);
      }
    }
    expect(await footprint(r, w.org.id)).toEqual(before);
    expect(await rowOf(r, id)).toEqual(row);
  });

  if (spec.createOnly?.length)
    it('fields set only at creation are refused on update', async () => {
      const { id } = await w.create(r);
      const row = await rowOf(r, id);
      for (const name of spec.createOnly ?? []) {
        const value = spec.references?.[name] ? await w.ref(spec.references[name]) : row?.[name];
        const update = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [pf]: otherSampleOf(r, pf, row?.[pf]), [name]: value } });
        expect(update.status).toBe(400);
        expect(update.body.code).toBe('unknown_field');
        expect(paths(update)).toEqual([name]);
        const batch = await send('POST', `/v1/${r.name}/batch`, { token: admin, body: { records: [{ id, [name]: value }] } });
        expect(batch.status).toBe(400);
        expect(paths(batch)).toEqual([`records[0].${name}`]);
      }
      expect(await rowOf(r, id)).toEqual(row);
    });

  if (spec.fields.includes('owner_id'))
    it('owner_id: a member names only themself; managers and admins anyone of the org; never another org', async () => {
      const { member, manager, admin: adminUser } = w.org.users;
      const before = await footprint(r, w.org.id);
      const refused = await send('POST', `/v1/${r.name}`, { token: w.tokens.member, body: { ...(await w.body(r)), owner_id: manager.id } });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('forbidden');
      expect(paths(refused)).toEqual(['owner_id']);
      const batchRefused = await send('POST', `/v1/${r.name}/batch`, {
        token: w.tokens.member,
        body: { records: [await w.body(r), { ...(await w.body(r)), owner_id: adminUser.id }] },
      });
      expect(batchRefused.status).toBe(403);
      expect(paths(batchRefused)).toEqual(['records[1].owner_id']);
      const foreign = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), owner_id: other.org.users.member.id } });
      expect(foreign.status, JSON.stringify(foreign.body)).toBe(422);
      expect(foreign.body).toMatchObject({ code: 'constraint_violation', rule: 'reference_in_org' });
      expect(paths(foreign)).toEqual(['owner_id']);
      expect(await footprint(r, w.org.id)).toEqual(before);

      const own = await send('POST', `/v1/${r.name}`, { token: w.tokens.member, body: { ...(await w.body(r)), owner_id: member.id } });
      expect(own.status).toBe(201);
      expect(own.body.data.owner_id).toBe(member.id);
      const implicit = await send('POST', `/v1/${r.name}`, { token: w.tokens.member, body: await w.body(r) });
      expect(implicit.body.data.owner_id, 'a create without an owner belongs to its creator').toBe(member.id);
      const assigned = await send('POST', `/v1/${r.name}`, { token: w.tokens.manager, body: { ...(await w.body(r)), owner_id: member.id } });
      expect(assigned.status).toBe(201);
      expect(assigned.body.data.owner_id).toBe(member.id);
      const byAdmin = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), owner_id: manager.id } });
      expect(byAdmin.body.data.owner_id).toBe(manager.id);

      // The same on update: a member may not hand a record to someone else.
      const id = own.body.data.id;
      const row = await rowOf(r, id);
      const give = await send('PATCH', `/v1/${r.name}/${id}`, { token: w.tokens.member, body: { owner_id: manager.id } });
      expect(give.status).toBe(403);
      expect(paths(give)).toEqual(['owner_id']);
      const clear = await send('PATCH', `/v1/${r.name}/${id}`, { token: w.tokens.member, body: { owner_id: null } });
      expect(clear.status).toBe(403);
      const foreignUpdate = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { owner_id: other.org.users.admin.id } });
      expect(foreignUpdate.status).toBe(422);
      expect(paths(foreignUpdate)).toEqual(['owner_id']);
      expect(await rowOf(r, id)).toEqual(row);
      const take = await send('PATCH', `/v1/${r.name}/${id}`, { token: w.tokens.manager, body: { owner_id: adminUser.id } });
      expect(take.status).toBe(200);
      expect((await rowOf(r, id))?.owner_id).toBe(adminUser.id);
    });

  if (Object.keys(spec.references ?? {}).length)
    it("a reference to another org's record, a missing or a deleted one is a 422 naming the field", async () => {
      const { id } = await w.create(r);
      const row = await rowOf(r, id);
      const before = await footprint(r, w.org.id);
      for (const [field, target] of Object.entries(spec.references ?? {})) {
        const theirs = await other.ref(target);
        const cases: Array<[string, unknown]> = [
          ["another org's", theirs],
          ['a missing', crypto.randomUUID()],
        ];
        for (const [what, value] of cases) {
          const where = `${field} → ${what} ${target}`;
          const create = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [field]: value } });
          expect(create.status, `${where}: ${JSON.stringify(create.body)}`).toBe(422);
          expect(create.body, where).toMatchObject({ code: 'constraint_violation', rule: 'reference_in_org' });
          expect(paths(create), where).toEqual([field]);
          expect(JSON.stringify(create.body), 'the refusal tells nothing of the other org').not.toContain(other.org.id);
          const batch = await send('POST', `/v1/${r.name}/batch`, {
            token: admin,
            body: { records: [await w.body(r), { ...(await w.body(r)), [field]: value }] },
          });
          expect(batch.status, where).toBe(422);
          expect(paths(batch), where).toEqual([`records[1].${field}`]);
          if (!spec.createOnly?.includes(field)) {
            const update = await send('PATCH', `/v1/${r.name}/${id}`, { token: admin, body: { [field]: value } });
            expect(update.status, where).toBe(422);
            expect(paths(update), where).toEqual([field]);
          }
        }
      }
      expect(await footprint(r, w.org.id)).toEqual(before);
      expect(await rowOf(r, id)).toEqual(row);
    });

  it('text is trimmed, bounded by its maximum, required text is never empty, optional empty text is null', async () => {
    const texts = spec.fields.filter((n) => r.fields[n].type === 'text');
    for (const name of texts) {
      const max = maxLengthOf(r, name);
      const fill = (n: number) => (isEmail(r, name) ? `${'a'.repeat(n - 12)}@example.com` : `${'b'.repeat(n - 1)}é`);
      const padded = ` \t${fill(max)}\n `;
      const ok = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [name]: padded } });
      expect(ok.status, `${name} at its maximum ${max}, padded: ${JSON.stringify(ok.body).slice(0, 300)}`).toBe(201);
      // Hidden fields (activities.body) are not in the default projection; the row has them all.
      if (!r.fields[name].hidden) expect(ok.body.data[name] === fill(max), `${name} answered trimmed`).toBe(true);
      expect((await rowOf(r, ok.body.data.id))?.[name] === fill(max), `${name} stored trimmed`).toBe(true);

      const before = await footprint(r, w.org.id);
      const long = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [name]: fill(max + 1) } });
      expect(long.status, `${name} over ${max}`).toBe(400);
      expect(paths(long)).toEqual([name]);
      const empty = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [name]: '   ' } });
      if (r.fields[name].nullable) {
        expect(empty.status, `${name}: blank`).toBe(201);
        expect((await rowOf(r, empty.body.data.id))?.[name], `${name}: blank is null`).toBeNull();
        expect(await footprint(r, w.org.id)).toMatchObject({ rows: before.rows + 1 });
      } else {
        expect(empty.status, `${name}: blank in a required text`).toBe(400);
        expect(paths(empty)).toEqual([name]);
        const nul = await send('POST', `/v1/${r.name}`, { token: admin, body: { ...(await w.body(r)), [name]: null } });
        expect(nul.status, `${name}: null in a required text`).toBe(400);
        expect(await footprint(r, w.org.id)).toEqual(before);
      }
    }
  });
});

describe('references by resource', () => {
  it('a contact cannot point at a company of another org (the example of the design)', async () => {
    const [a, b] = await Promise.all([writeOrg(), writeOrg()]);
    const theirs = await b.ref('companies');
    const res = await send('POST', '/v1/contacts', { token: a.tokens.admin, body: { first_name: 'Cross', primary_company_id: theirs } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'primary_company_id', message: expect.any(String) }]);
    const mine = await a.create(resourceNamed('companies'));
    const ok = await send('POST', '/v1/contacts', { token: a.tokens.admin, body: { first_name: 'Same', primary_company_id: mine.id } });
    expect(ok.status).toBe(201);
    // A company in the trash cannot be pointed at either.
    expect((await send('DELETE', `/v1/companies/${mine.id}`, { token: a.tokens.admin })).status).toBe(204);
    const trashed = await send('POST', '/v1/contacts', { token: a.tokens.admin, body: { first_name: 'Late', primary_company_id: mine.id } });
    expect(trashed.status).toBe(422);
    expect(trashed.body.errors[0].path).toBe('primary_company_id');
  });
});

describe('decimals fit their column', () => {
  it('a decimal with more places than its column keeps is refused naming the field, not stored rounded (deals.value is numeric(14,2))', async () => {
    const w = await writeOrg();
    const { id } = await w.create(resourceNamed('deals'));
    const row = await rowOf(resourceNamed('deals'), id);
    const res = await send('PATCH', `/v1/deals/${id}`, { token: w.tokens.admin, body: { value: '1.239' } });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['value']);
    expect(await rowOf(resourceNamed('deals'), id)).toEqual(row);
    const ok = await send('PATCH', `/v1/deals/${id}`, { token: w.tokens.admin, body: { value: '999999999999.99' } });
    expect([ok.status, ok.body.data?.value]).toEqual([200, '999999999999.99']);
  });

  it('a number out of its column’s range is a 400 naming the field, in a batch naming the record', async () => {
    const w = await writeOrg();
    const { id } = await w.create(resourceNamed('deals'));
    const res = await send('PATCH', `/v1/deals/${id}`, { token: w.tokens.admin, body: { value: '9999999999999' } });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['value']);
    const batch = await send('POST', '/v1/deals/batch', {
      token: w.tokens.admin,
      body: {
        records: [
          { id, name: 'Fine' },
          { ...(await w.body(resourceNamed('deals'))), value: 1e21 },
        ],
      },
    });
    expect(batch.status).toBe(400);
    expect(paths(batch)).toEqual(['records[1].value']);
  });
});
