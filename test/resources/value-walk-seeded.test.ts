import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { sql } from '../support/sql';

// A substring filter on the order's own field (names) is read by a value walk
// (src/query/value-walk.ts) over the org's distinct values (field_values). On the seeded org
// (names repeat, many rows per value), a cursor walk returns exactly the rows and order that
// plain SQL gives.
describe('value walks on a big org', () => {
  let token: string;
  let orgId: string;
  beforeAll(async () => {
    ({ orgId, token } = await demoAdmin());
  });

  const cases: Array<[string, string, string]> = [
    [
      'status=eq.active&last_name=ilike.*son*&created_at=gte.2024-01-01&order=last_name.asc',
      `c.status = 'active' and c.last_name ilike '%son%' and c.created_at >= '2024-01-01'`,
      'c.last_name asc, c.id asc',
    ],
    [
      'last_name=ilike.*son*&lifecycle_stage=eq.customer&order=last_name.desc',
      `c.last_name ilike '%son%' and c.lifecycle_stage = 'customer'`,
      'c.last_name desc, c.id desc',
    ],
    ['first_name=ilike.*an*&first_name=neq.Anna&order=first_name.asc', `c.first_name ilike '%an%' and c.first_name <> 'Anna'`, 'c.first_name asc, c.id asc'],
    // No match among most values (from Z down): the matches come last.
    ['last_name=ilike.a*&status=eq.active&order=last_name.desc', `c.last_name ilike 'a%' and c.status = 'active'`, 'c.last_name desc, c.id desc'],
    // Matches among the first values (from Z down), then none until the last: a later page
    // starts after a cursor far from its next value.
    [
      'last_name=in.(Zimmermann,Adams)&last_name=ilike.*m*&order=last_name.desc',
      `c.last_name in ('Zimmermann', 'Adams') and c.last_name ilike '%m%'`,
      'c.last_name desc, c.id desc',
    ],
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
    (
      await sql<{ id: string }>(`select id from contacts c where c.org_id = $1 and c.deleted_at is null and ${where} order by ${order} limit ${max}`, [
        orgId,
        ...values,
      ])
    ).map((r) => r.id);

  for (const [qs, where, order] of cases) {
    it(`${qs}: pages by cursor are the plain order's rows`, async () => {
      const expected = await plain(where, order, 600);
      expect(expected.length).toBeGreaterThanOrEqual(120);
      expect(await walk(qs, 100, expected.length)).toEqual(expected);
    });
  }

  it('finds a row inserted or renamed after the seed (field_values follow writes)', async () => {
    const ids = () => walk('last_name=ilike.*qxzv*&order=last_name.asc', 25, 50);
    const [{ id }] = await sql<{ id: string }>(`insert into contacts (org_id, first_name, last_name) values ($1, 'Walk', 'Aaqxzvinserted') returning id`, [
      orgId,
    ]);
    try {
      expect(await ids()).toEqual([id]);
      await sql(`update contacts set last_name = 'Zzqxzvrenamed' where id = $1`, [id]);
      expect(await walk('last_name=ilike.*zvrenamed*&order=last_name.desc', 25, 50)).toEqual([id]);
      expect(await walk('last_name=ilike.*zvinserted*&order=last_name.asc', 25, 50)).toEqual([]);
    } finally {
      await sql('delete from contacts where id = $1', [id]);
    }
  });

  it('any substring, side, direction, extra filter and page size: the same rows as plain SQL', async () => {
    // Short substrings of common letters: from dense (walk fills the page) to absent from
    // hundreds of names in a row (pages whose cursor sits far from the next matching value).
    const sides = { contains: (t: string) => `*${t}*`, startswith: (t: string) => `${t}*`, endswith: (t: string) => `*${t}` };
    const extras: Array<[string, string]> = [
      ['', 'true'],
      ['&status=eq.active', `c.status = 'active'`],
      ['&lifecycle_stage=eq.customer', `c.lifecycle_stage = 'customer'`],
    ];
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
