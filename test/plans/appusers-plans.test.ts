import { beforeAll, describe, expect, it } from 'vitest';
import { firstMatchesSql, SAMPLE_MATCHES, sampleSql, uuidBelow } from '../../src/query/count';
import { type ListPlan, planList } from '../../src/query/plan';
import { MAX_OFFSET } from '../../src/resources/appusers/fields';
import { parseAppUsersQuery } from '../../src/resources/appusers/parse';
import { appUsersRequest } from '../../src/resources/appusers/request';
import { CATALOG } from '../../src/resources/registry';
import { demoOrg } from '../support/seeded';
import { explain, sql } from '../support/sql';

// The statements appusers sends (page, and the count's sample or bounded count), planned by
// the one compiler and EXPLAINed on the seeded demo org (about 300k contacts, 550k relationships).
const BIG_TABLES = ['contacts', 'addresses', 'customer_relationships'];

describe('appusers plans on seeded data', () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = (await demoOrg()).orgId;
  });

  const plan = (qs: string, page = 1): ListPlan =>
    planList({
      catalog: CATALOG,
      resource: CATALOG.contacts,
      req: appUsersRequest(parseAppUsersQuery(Object.fromEntries(new URLSearchParams(qs))), page),
      orgId,
      maxOffset: MAX_OFFSET,
    });

  /** The planner's own count estimate, as countRows asks for it (the sample's fraction follows from it). */
  const planned = async (p: ListPlan) => {
    const [row] = await sql<{ 'QUERY PLAN': any }>(`explain (format json) select 1 ${p.fromWhere}`, p.filterValues);
    return row['QUERY PLAN'][0].Plan['Plan Rows'] as number;
  };

  it('a first_name contains filter uses the trigram index', async () => {
    const c = plan('first_name=kenj');
    // Few matches: counted through the trigram index (in id order, capped at the limit + 1).
    const count = await explain(firstMatchesSql(c.fromWhere, { id: 'c.id' }, 10_001), c.filterValues);
    expect(count.indexes).toContain('contacts_first_name_trgm');
    // The page may instead walk the order's index and stop after 20 matches, when the planner
    // prices that cheaper (a common name); either way it never scans the table.
    const page = await explain(c.statement, c.values);
    expect(page.seqScans).not.toContain('contacts');
    expect(page.indexes.some((i) => i === 'contacts_first_name_trgm' || i === 'contacts_org_created_idx')).toBe(true);
  });

  // Each of the seed's filters, and a few combinations: pages and counts read through indexes.
  const shapes = [
    'first_name=an',
    'last_name=son',
    'phone_number=55',
    'city=ber',
    'street=str',
    'country=ger',
    'gender=Female',
    'gender=Prefer not to say',
    'customer_id=CUST-000042',
    'birthday=1985-03-04',
    'points_min=5000',
    'points_max=100',
    'last_activity_after=2025-01-01',
    'points_min=100&points_max=1000&last_activity_after=2025-01-01',
    'city=ber&gender=Female',
    'last_name=son&points_min=500',
    'first_name=an&country=ger',
    'city=hamb&ordering=last_name',
    'last_name=wickow&ordering=-created',
  ];
  for (const qs of shapes) {
    it(`${qs}: the page and its count never scan a big table`, async () => {
      const p = plan(qs);
      const page = await explain(p.statement, p.values);
      for (const t of BIG_TABLES) expect(page.seqScans, `${qs}: page`).not.toContain(t);
      const sample = uuidBelow(Math.min(0.999, SAMPLE_MATCHES / Math.max(1, await planned(p))));
      const sampled = await explain(sampleSql(p.fromWhere, { id: 'c.id' }, p.filterValues.length + 1), [...p.filterValues, sample.bound]);
      for (const t of BIG_TABLES) expect(sampled.seqScans, `${qs}: sampled count`).not.toContain(t);
      const bounded = await explain(firstMatchesSql(p.fromWhere, { id: 'c.id' }, 10_001), p.filterValues);
      for (const t of BIG_TABLES) expect(bounded.seqScans, `${qs}: bounded count`).not.toContain(t);
    });
  }

  it('the sample reads a fraction of the org through the (org_id, id) index, not every match', async () => {
    const p = plan('last_name=son');
    const sample = uuidBelow(SAMPLE_MATCHES / (await planned(p)));
    const e = await explain(sampleSql(p.fromWhere, { id: 'c.id' }, p.filterValues.length + 1), [...p.filterValues, sample.bound], { analyze: true });
    expect(e.indexes).toContain('contacts_org_id_idx');
    const matches = (await sql<{ n: number }>(`select count(*)::int as n ${p.fromWhere}`, p.filterValues))[0].n;
    expect(e.tableRows.contacts).toBeLessThan(matches / 3);
  });

  it('relationships are embedded newest first straight from the (org_id, contact_id, created_at) index', async () => {
    const p = plan('');
    const e = await explain(p.statement, p.values);
    const scans: Array<{ index: string; direction: string }> = [];
    const walk = (n: any) => {
      if (n['Index Name']) scans.push({ index: n['Index Name'], direction: n['Scan Direction'] });
      for (const child of n.Plans ?? []) walk(child);
    };
    walk(e.plan);
    expect(scans).toContainEqual({ index: 'customer_relationships_contact_created_key', direction: 'Backward' });
    expect(e.nodes).not.toContain('Sort');
  });

  it('a multi-field ordering without an index of its own is an incremental sort on the leading key, within the cost budget', async () => {
    const p = plan('ordering=last_name,first_name');
    expect(p.indexFriendly).toBe(false); // so it goes through the cost guard
    const e = await explain(p.statement, p.values, { analyze: true });
    expect(e.nodes).toContain('Incremental Sort');
    expect(e.indexes).toContain('contacts_org_last_name_idx');
    expect(e.seqScans).not.toContain('contacts');
  });
});
