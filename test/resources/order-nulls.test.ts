import { beforeAll, describe, expect, it } from 'vitest';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// nullsfirst / nullslast on every sortable field, both directions: the page is read as two
// index ranges (the NULL rows and the others) and paged by cursor across the boundary. Every
// expectation comes from Postgres' own ORDER BY on the same rows.
describe('order with NULL placement', () => {
  let org: TestOrg;
  let token: string;

  beforeAll(async () => {
    org = await createOrg();
    const rows = Array.from({ length: 23 }, (_, i) => ({
      first_name: i % 4 === 0 ? null : `F${(i * 7) % 11}`,
      last_name: i % 3 === 0 ? null : `L${(i * 5) % 9}`,
      email: i % 5 === 0 ? null : `p${i}@nulls.example`,
      phone: i % 2 === 0 ? null : `+1555${String(i).padStart(4, '0')}`,
      gender: i % 6 === 0 ? null : (['female', 'male', 'other', 'unknown'] as const)[i % 4],
      birthday: i % 3 === 1 ? null : `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 9}`,
    }));
    await createContacts(org.id, rows);
    token = await tokenFor(org.users.admin);
  });

  /** Every page of `qs` by cursor, `limit` at a time. */
  async function pages(qs: string, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 50; n++) {
      const res = await get(`/v1/contacts?${qs}&select=id&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      cursor = res.body.page.nextCursor;
      if (!res.body.page.hasMore) return seen;
    }
    throw new Error('more than 50 pages');
  }

  const fields = ['first_name', 'last_name', 'email', 'phone', 'gender', 'birthday'];
  for (const field of fields) {
    for (const dir of ['asc', 'desc'] as const) {
      for (const nulls of ['first', 'last'] as const) {
        it(`${field}.${dir}.nulls${nulls}: every page in Postgres' order`, async () => {
          const expected = (
            await sql<{ id: string }>(
              `select id::text from contacts where org_id = $1 and deleted_at is null order by ${field} ${dir} nulls ${nulls}, id ${dir}`,
              [org.id],
            )
          ).map((r) => r.id);
          const nullCount = (await sql<{ n: number }>(`select count(*)::int as n from contacts where org_id = $1 and ${field} is null`, [org.id]))[0].n;
          // The fixture must put rows on both sides of the boundary, or the test proves nothing.
          expect(nullCount).toBeGreaterThan(2);
          expect(nullCount).toBeLessThan(expected.length - 2);
          expect(await pages(`order=${field}.${dir}.nulls${nulls}`, 4)).toEqual(expected);
          const first = await get(`/v1/contacts?order=${field}.${dir}.nulls${nulls}&select=id&limit=${expected.length}`, { token });
          expect(first.body.data.map((r: { id: string }) => r.id)).toEqual(expected);
          const offset = await get(`/v1/contacts?order=${field}.${dir}.nulls${nulls}&select=id&limit=5&offset=${nullCount - 2}`, { token });
          expect(offset.body.data.map((r: { id: string }) => r.id)).toEqual(expected.slice(nullCount - 2, nullCount + 3));
        });
      }
    }
  }

  for (const order of [
    'email.asc.nullsfirst,last_name.desc',
    'birthday.desc.nullslast,first_name.asc.nullsfirst',
    'phone.asc.nullslast,gender.desc.nullslast',
  ]) {
    it(`several keys (${order}): every page in Postgres' order`, async () => {
      const sqlOrder = order
        .split(',')
        .map((t) => t.replace(/\.(asc|desc)/, ' $1').replace(/\.nulls(first|last)/, ' nulls $1'))
        .join(', ');
      const lastDir = order.split(',').at(-1)?.includes('.desc') ? 'desc' : 'asc';
      const expected = (
        await sql<{ id: string }>(`select id::text from contacts where org_id = $1 and deleted_at is null order by ${sqlOrder}, id ${lastDir}`, [org.id])
      ).map((r) => r.id);
      expect(expected).toHaveLength(23);
      expect(await pages(`order=${order}`, 4)).toEqual(expected);
    });
  }
});
