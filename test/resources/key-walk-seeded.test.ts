import { beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { sql } from '../support/sql';

// A substring filter on the order's own field is read by a key walk (src/query/key-walk.ts):
// distinct values for names, index entries for emails. On the seeded org (names repeat, many
// rows per value), a cursor walk returns exactly the rows and order that plain SQL gives.
describe('key walks on a big org', () => {
  let token: string;
  let orgId: string;
  beforeAll(async () => {
    ({ orgId, token } = await demoAdmin());
  });

  const cases: Array<[string, string, string]> = [
    ['status=eq.active&last_name=ilike.*son*&created_at=gte.2024-01-01&order=last_name.asc', `c.status = 'active' and c.last_name ilike '%son%' and c.created_at >= '2024-01-01'`, 'c.last_name asc, c.id asc'],
    ['last_name=ilike.*son*&lifecycle_stage=eq.customer&order=last_name.desc', `c.last_name ilike '%son%' and c.lifecycle_stage = 'customer'`, 'c.last_name desc, c.id desc'],
    ['first_name=ilike.*an*&first_name=neq.Anna&order=first_name.asc', `c.first_name ilike '%an%' and c.first_name <> 'Anna'`, 'c.first_name asc, c.id asc'],
    ['email=ilike.*son*&status=eq.active&order=email.desc', `c.email ilike '%son%' and c.status = 'active'`, 'c.email desc, c.id desc'],
  ];
  for (const [qs, where, order] of cases) {
    it(`${qs}: three pages by cursor are the plain order's first rows`, async () => {
      const expected = (await sql<{ id: string }>(`select id from contacts c where c.org_id = $1 and c.deleted_at is null and ${where} order by ${order} limit 120`, [orgId])).map((r) => r.id);
      expect(expected).toHaveLength(120);
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 3; page++) {
        const res = await get(`/v1/contacts?${qs}&select=id&limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((r: { id: string }) => r.id));
        cursor = res.body.page.nextCursor;
      }
      expect(seen).toEqual(expected);
    });
  }
});
