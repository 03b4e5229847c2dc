import { beforeAll, describe, expect, it } from 'vitest';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { planCompanyStats } from '../../src/resources/analytics/companies';
import { CATALOG } from '../../src/resources/registry';
import type { UserGrants } from '../../src/sharing/types';
import { demoOrg, seededUser } from '../support/seeded';
import { grantsOf } from '../support/sharing';
import { explain, sql } from '../support/sql';

// A company's stats and its contacts page with their computed counts, on the seeded dataset:
// the company's contacts by (org_id, primary_company_id), its deals by deals_company_idx, each
// page row's counts by the counted table's contact index, the company's visibility checked
// once. Never a scan of a big table, never more contacts than the company has.
const BIG = ['contacts', 'deals', 'activities', 'addresses', 'customer_relationships', 'companies', 'leads'];
const { contacts, companies } = CATALOG;

describe('company plans on seeded data', () => {
  let orgId: string;
  let member: UserGrants;
  const sizes: Array<{ id: string; n: number }> = [];

  beforeAll(async () => {
    ({ orgId } = await demoOrg());
    member = await grantsOf(orgId, (await seededUser('member@demo.test')).id);
    // The company with the most contacts and one with the fewest.
    sizes.push(
      ...(await sql<{ id: string; n: number }>(
        `(select primary_company_id::text as id, count(*)::int as n from contacts where org_id = $1 and primary_company_id is not null and deleted_at is null
           group by 1 order by count(*) desc limit 1)
         union all
         (select primary_company_id::text, count(*)::int from contacts where org_id = $1 and primary_company_id is not null and deleted_at is null
           group by 1 order by count(*) asc limit 1)`,
        [orgId],
      )),
    );
    expect(sizes).toHaveLength(2);
  });

  for (const [i, which] of ['largest', 'smallest'].entries()) {
    for (const as of ['admin', 'member'] as const) {
      it(`the ${which} company's contacts with deal_count and activity_count, as ${as}`, async () => {
        const { id, n } = sizes[i];
        const req = parseQueryString(new URLSearchParams(`primary_company_id=eq.${id}&select=*,deal_count,activity_count&limit=25`));
        const access = as === 'member' ? member : undefined;
        const plan = planList({ catalog: CATALOG, resource: contacts, req, orgId, access, parent: { resource: companies, id } });
        const e = await explain(plan.statement, plan.values, { analyze: true });
        expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
        expect(e.tableRows.contacts ?? 0).toBeLessThanOrEqual(n);
        // The counts run only where the company is readable and has a contact on the page.
        if (e.tableRows.contacts) expect(e.indexes).toEqual(expect.arrayContaining(['deals_contact_idx', 'activities_contact_idx']));
      });

      it(`the ${which} company's stats, as ${as}`, async () => {
        const { id, n } = sizes[i];
        const plan = planCompanyStats({ orgId, companyId: id, access: as === 'member' ? member : undefined });
        const e = await explain(plan.statement, plan.values, { analyze: true });
        expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
        expect(e.indexes).toContain('contacts_org_company_idx');
        expect(e.tableRows.contacts ?? 0).toBeLessThanOrEqual(n);
      });
    }
  }
});
