import { beforeAll, describe, expect, it } from 'vitest';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { CATALOG } from '../../src/resources/registry';
import { demoOrg } from '../support/seeded';
import { explain, sql } from '../support/sql';

// NULLs placed against the index (asc nulls first, desc nulls last) are served as two index
// ranges, on the seeded data: the page reads about a page of rows, not the org, at any depth.
describe('order plans with NULL placement', () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = (await demoOrg()).orgId;
  });

  const plan = (qs: string, after?: (string | null)[]) =>
    planList({ catalog: CATALOG, resource: CATALOG.contacts, req: parseQueryString(new URLSearchParams(qs)), orgId, after });

  for (const [field, index] of [
    ['email', 'contacts_org_email_idx'],
    ['birthday', 'contacts_org_birthday_idx'],
  ] as const) {
    for (const order of [`${field}.asc.nullsfirst`, `${field}.desc.nullslast`]) {
      it(`${order}: a first page and a page past the NULL boundary read ~a page through ${index}`, async () => {
        const [{ nulls, total }] = await sql<{ nulls: number; total: number }>(
          `select count(*) filter (where ${field} is null)::int as nulls, count(*)::int as total from contacts where org_id = $1 and deleted_at is null`,
          [orgId],
        );
        expect(nulls).toBeGreaterThan(100); // both ranges exist in the seeded data
        expect(total - nulls).toBeGreaterThan(100_000);
        const first = plan(`order=${order}&limit=25`);
        const firstPlan = await explain(first.statement, first.values, { analyze: true });
        expect(firstPlan.seqScans).toEqual([]);
        expect(firstPlan.indexes).toContain(index);
        expect(firstPlan.tableRows.contacts ?? 0).toBeLessThanOrEqual(60);
        // A cursor in the middle of the non-NULL values, so the rest of one range and then the other follow.
        const dir = order.includes('.asc') ? 'asc' : 'desc';
        const [row] = await sql<{ v: string; id: string }>(
          `select ${field}::text as v, id::text from contacts where org_id = $1 and deleted_at is null and ${field} is not null order by ${field} ${dir}, id ${dir} offset $2 limit 1`,
          [orgId, Math.floor((total - nulls) / 2)],
        );
        const deep = plan(`order=${order}&limit=25`, [row.v, row.id]);
        const deepPlan = await explain(deep.statement, deep.values, { analyze: true });
        expect(deepPlan.seqScans).toEqual([]);
        expect(deepPlan.indexes).toContain(index);
        expect(deepPlan.tableRows.contacts ?? 0).toBeLessThanOrEqual(60);
      });
    }
  }

  it('a multi-key order that no single index range yields goes through the cost guard', () => {
    expect(plan('order=last_name.asc&limit=25').indexFriendly).toBe(true);
    expect(plan('order=last_name.asc.nullsfirst&limit=25').indexFriendly).toBe(true);
    expect(plan('order=gender.asc,created_at.desc&limit=25').indexFriendly).toBe(false);
    expect(plan('order=last_name.asc,id.desc&limit=25').indexFriendly).toBe(false);
  });
});
