import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { sql } from '../support/sql';

// A substring filter on the order's own field (names) is read by a value walk
// (src/query/value-walk.ts), finished by the plain page when the walk's step budget runs out. On
// the seeded org (names repeat, many rows per value), a cursor walk returns exactly the rows
// and order that plain SQL gives.
describe('value walks on a big org', () => {
  let token: string;
  let orgId: string;
  beforeAll(async () => {
    ({ orgId, token } = await demoAdmin());
  });

  const cases: Array<[string, string, string]> = [
    ['status=eq.active&last_name=ilike.*son*&created_at=gte.2024-01-01&order=last_name.asc', `c.status = 'active' and c.last_name ilike '%son%' and c.created_at >= '2024-01-01'`, 'c.last_name asc, c.id asc'],
    ['last_name=ilike.*son*&lifecycle_stage=eq.customer&order=last_name.desc', `c.last_name ilike '%son%' and c.lifecycle_stage = 'customer'`, 'c.last_name desc, c.id desc'],
    ['first_name=ilike.*an*&first_name=neq.Anna&order=first_name.asc', `c.first_name ilike '%an%' and c.first_name <> 'Anna'`, 'c.first_name asc, c.id asc'],
    // No match in the first VALUE_WALK_STEPS values (from Z down): the plain page continues.
    ['last_name=ilike.a*&status=eq.active&order=last_name.desc', `c.last_name ilike 'a%' and c.status = 'active'`, 'c.last_name desc, c.id desc'],
    // Matches among the first values (from Z down), then none for more than VALUE_WALK_STEPS
    // values: a later page starts with the walk and is finished by the plain page.
    ['last_name=in.(Zimmermann,Adams)&last_name=ilike.*m*&order=last_name.desc', `c.last_name in ('Zimmermann', 'Adams') and c.last_name ilike '%m%'`, 'c.last_name desc, c.id desc'],
  ];
  /** Up to `max` ids of a cursor walk of /v1/contacts?qs in pages of `size`. */
  async function walk(qs: string, size: number, max: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/contacts?${qs}&select=id&limit=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      cursor = res.body.page.nextCursor;
    } while (cursor && seen.length < max);
    return seen.slice(0, max);
  }
  const plain = async (where: string, order: string, max: number, values: unknown[] = []) =>
    (await sql<{ id: string }>(`select id from contacts c where c.org_id = $1 and c.deleted_at is null and ${where} order by ${order} limit ${max}`, [orgId, ...values])).map((r) => r.id);

  for (const [qs, where, order] of cases) {
    it(`${qs}: pages by cursor are the plain order's rows`, async () => {
      const expected = await plain(where, order, 600);
      expect(expected.length).toBeGreaterThanOrEqual(120);
      expect(await walk(qs, 100, expected.length)).toEqual(expected);
    });
  }

  it('any substring, side, direction, extra filter and page size: the same rows as plain SQL', async () => {
    // Short substrings of common letters: from dense (walk fills the page) to absent from
    // hundreds of names in a row (the step budget runs out and the plain page takes over).
    const sides = { contains: (t: string) => `*${t}*`, startswith: (t: string) => `${t}*`, endswith: (t: string) => `*${t}` };
    const extras: Array<[string, string]> = [['', 'true'], ['&status=eq.active', `c.status = 'active'`], ['&lifecycle_stage=eq.customer', `c.lifecycle_stage = 'customer'`]];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('first_name', 'last_name'),
        fc.constantFrom<keyof typeof sides>('contains', 'startswith', 'endswith'),
        fc.stringMatching(/^[aeinorstz]{1,3}$/),
        fc.constantFrom('asc', 'desc'),
        fc.constantFrom(...extras),
        fc.constantFrom(1, 7, 30),
        async (field, side, text, dir, [extraQs, extraSql], size) => {
          const max = size * 3;
          const pattern = sides[side](text);
          const expected = await plain(`c.${field} ilike $2 and ${extraSql}`, `c.${field} ${dir}, c.id ${dir}`, max, [pattern.replaceAll('*', '%')]);
          expect(await walk(`${field}=ilike.${pattern}${extraQs}&order=${field}.${dir}`, size, max)).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  });
});
