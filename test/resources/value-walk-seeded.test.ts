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
  for (const [qs, where, order] of cases) {
    it(`${qs}: pages by cursor are the plain order's rows`, async () => {
      const expected = (await sql<{ id: string }>(`select id from contacts c where c.org_id = $1 and c.deleted_at is null and ${where} order by ${order} limit 600`, [orgId])).map((r) => r.id);
      expect(expected.length).toBeGreaterThanOrEqual(120);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/v1/contacts?${qs}&select=id&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((r: { id: string }) => r.id));
        cursor = res.body.page.nextCursor;
      } while (cursor && seen.length < expected.length);
      expect(seen.slice(0, expected.length)).toEqual(expected);
    });
  }
});
