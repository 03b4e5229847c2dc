import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_COUNT_BUDGET } from '../../src/query/count';
import { parseQueryString } from '../../src/query/parse-query-string';
import { type ListPlan, planList } from '../../src/query/plan';
import type { ResourceDef } from '../../src/query/resource';
import { SEARCH_CANDIDATES } from '../../src/query/search';
import { CATALOG } from '../../src/resources/registry';
import type { UserGrants } from '../../src/sharing/types';
import { createOrg, type TestOrg } from '../support/factories';
import { demoOrg, seededUser } from '../support/seeded';
import { type Analyzed, describePlan, explainAnalyze, grantsOf, withLocalStatistics } from '../support/sharing';
import { sql } from '../support/sql';

// Sharing stays index-served (issue 23, part 7): EXPLAIN (ANALYZE, BUFFERS) of the exact
// statements the API runs for a member, built by planList with the grants the org's Durable
// Object would compile (loadSnapshot + compileGrants). Never a sequential scan of a big table;
// a first page reads about a page's worth of the member's own rows, not the org; the manual
// shares are read once per statement (an InitPlan), never per row.
const BIG = ['contacts', 'deals', 'leads', 'activities', 'companies'];
const { contacts, deals } = CATALOG;
const PAGE = 26; // limit=25 reads one row more, to know whether there is a next page

function planFor(resource: ResourceDef, qs: string, orgId: string, access: UserGrants): ListPlan {
  return planList({ catalog: CATALOG, resource, req: parseQueryString(new URLSearchParams(qs)), orgId, access });
}

/** The statement `count=exact` runs (count.ts boundedCount): the list's FROM/WHERE, bounded by the budget. */
const countSql = (plan: ListPlan) => `select count(*)::int as n from (select 1 ${plan.fromWhere} limit ${EXACT_COUNT_BUDGET + 1}) bounded`;

/** No big table read whole; the shares read by one InitPlan that runs once, and no per-row sub-plan at all. */
function expectIndexServed(a: Analyzed, what: string): void {
  expect(
    a.seqScans.filter((r) => BIG.includes(r)),
    `${what}: ${describePlan(a)}`,
  ).toEqual([]);
  const shares = a.nodes.filter((n) => n.relation === 'record_shares');
  expect(shares.length, `${what}: the share lookup is in the plan`).toBeGreaterThan(0);
  for (const s of shares) {
    expect(s.parent, `${what}: ${describePlan(a)}`).toBe('InitPlan');
    expect(s.loops, `${what}: ${describePlan(a)}`).toBe(1);
  }
  expect(
    a.nodes.filter((n) => n.parent === 'SubPlan'),
    `${what}: ${describePlan(a)}`,
  ).toEqual([]);
}

describe('sharing plans: member@demo.test on the seeded demo org (private defaults)', () => {
  let orgId: string;
  let grants: UserGrants;
  /** Live contacts of the org, and those the member may read (by SQL of its own, from the seeded rules). */
  const sizes = { contacts: 0, visibleContacts: 0, deals: 0, visibleDeals: 0 };

  beforeAll(async () => {
    const demo = await demoOrg();
    orgId = demo.orgId;
    const member = await seededUser('member@demo.test');
    grants = await grantsOf(orgId, member.id);
    expect(grants.objects.contact.all).toBe('none');
    expect(grants.objects.deal.all).toBe('none');
    // The member's visible rows, written out from the seed (scripts/lib/seed/load-sharing.ts): own and
    // reports' records, managers' contacts (rule to the member's team), won deals (rule to members),
    // the Customer Success team's deals (rule to the member's team), shares to them or their team.
    const [c] = await sql<{ all: number; visible: number }>(
      `with me as (select id, team_id from users where id = $2)
       select count(*)::int as all,
              count(*) filter (where c.owner_id in (select id from users u where u.org_id = $1 and (u.id = $2 or u.manager_id = $2 or
                   (u.role = 'manager' and (select team_id from me) = (select target_id::uuid from sharing_rules where org_id = $1 and object_type = 'contact' and kind = 'owner'))))
                 or c.id in (select record_id from record_shares s where s.org_id = $1 and s.object_type = 'contact'
                   and ((s.grantee_type = 'user' and s.grantee_id = $2) or (s.grantee_type = 'team' and s.grantee_id = (select team_id from me)))))::int as visible
         from contacts c where c.org_id = $1 and c.deleted_at is null`,
      [orgId, member.id],
    );
    const [d] = await sql<{ all: number; visible: number }>(
      `with me as (select id, team_id from users where id = $2)
       select count(*)::int as all,
              count(*) filter (where d.owner_id in (select id from users u where u.org_id = $1 and (u.id = $2 or u.manager_id = $2 or
                   (u.team_id = (select source_id::uuid from sharing_rules where org_id = $1 and object_type = 'deal' and kind = 'owner')
                    and (select team_id from me) = (select target_id::uuid from sharing_rules where org_id = $1 and object_type = 'deal' and kind = 'owner'))))
                 or d.status = 'won'
                 or d.id in (select record_id from record_shares s where s.org_id = $1 and s.object_type = 'deal'
                   and ((s.grantee_type = 'user' and s.grantee_id = $2) or (s.grantee_type = 'team' and s.grantee_id = (select team_id from me)))))::int as visible
         from deals d where d.org_id = $1 and d.deleted_at is null`,
      [orgId, member.id],
    );
    Object.assign(sizes, { contacts: c.all, visibleContacts: c.visible, deals: d.all, visibleDeals: d.visible });
    // A real subset: neither nothing nor (nearly) everything, or the bounds below prove nothing.
    expect(sizes.contacts).toBeGreaterThanOrEqual(200_000);
    expect(sizes.visibleContacts / sizes.contacts).toBeGreaterThan(0.05);
    expect(sizes.visibleContacts / sizes.contacts).toBeLessThan(0.5);
    expect(sizes.visibleDeals / sizes.deals).toBeGreaterThan(0.05);
    expect(sizes.visibleDeals / sizes.deals).toBeLessThan(0.5);
  });

  /**
   * The most table rows a first page walked down an order index may read: it stops at the
   * PAGE-th row the member may read (and that matches `share` of the filter). Owners are drawn
   * independently of creation time and names in the seed, so it expects PAGE / (visible share ×
   * match share) rows (about 140 for the default page, at the member's ~18 % of contacts); 4×
   * that leaves room for local unevenness, while a plan that read the member's whole subset
   * (~55k contacts) or the org (300k) is far above it.
   */
  const pageBound = (visible: number, all: number, share = 1) => Math.ceil((4 * PAGE) / ((visible / all) * share));

  it('/v1/contacts default page walks the recency index and reads about a page of the member’s rows', async () => {
    const plan = planFor(contacts, 'limit=25', orgId, grants);
    expect(plan.statement).toContain('owner_id = any(');
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'contacts default page');
    expect(a.indexes).toContain('contacts_org_created_idx');
    // Measured: 113 rows (bound ≈ 570).
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(pageBound(sizes.visibleContacts, sizes.contacts));
  });

  it('/v1/contacts?last_name=ilike.*son* (default order) reads a bounded slice, through an index', async () => {
    const [{ matching }] = await sql<{ matching: number }>(
      `select count(*)::int as matching from contacts where org_id = $1 and deleted_at is null and last_name ilike '%son%'`,
      [orgId],
    );
    const plan = planFor(contacts, 'last_name=ilike.*son*&limit=25', orgId, grants);
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'contacts last_name filter');
    // Measured: 1,249 rows for 26 (bound ≈ 4,700 at ~18 % visible × ~12 % matching).
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(pageBound(sizes.visibleContacts, sizes.contacts, matching / sizes.contacts));
  });

  it('/v1/contacts?order=last_name.asc reads the name index in order', async () => {
    const plan = planFor(contacts, 'order=last_name.asc&limit=25', orgId, grants);
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'contacts order=last_name');
    expect(a.indexes).toContain('contacts_org_last_name_idx');
    expect(a.nodes.map((n) => n.type)).not.toContain('Sort');
    // Measured: 108 rows.
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(pageBound(sizes.visibleContacts, sizes.contacts));
  });

  it('/v1/contacts?q=wickow (a rare term) reads the trigram index and the member’s few matches', async () => {
    const plan = planFor(contacts, 'q=wickow', orgId, grants);
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'contacts q=wickow');
    expect(a.indexes).toContain('contacts_search_text_trgm');
    // The trigram index is not per org: it yields every org's rows with the term, which the heap
    // check narrows to this org and the member's grants. Never more than those (measured: 208).
    const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from contacts where search_text ilike '%wickow%'`);
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(n + PAGE);
  });

  it('/v1/contacts?q=son (a common term) is index-served and reads a bounded number of rows', async () => {
    // Two plans are fine, and the planner picks by the statistics: AND the owner bitmap with the
    // trigram bitmap and read every visible match (measured 4,724 rows before migration 0015's
    // owner statistics), or walk the recency index until the 200 candidates are found among the
    // visible matches (12,292 rows after it: 200 ÷ (visible share × match share)). Either is
    // bounded; neither reads the org.
    const plan = planFor(contacts, 'q=son', orgId, grants);
    expect(plan.ranked).toBe(true);
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'contacts q=son');
    const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from contacts where org_id = $1 and deleted_at is null and search_text ilike '%son%'`, [
      orgId,
    ]);
    const visibleShare = sizes.visibleContacts / sizes.contacts;
    const allMatches = Math.ceil(n * visibleShare * 1.5) + PAGE;
    const walkToCandidates = Math.ceil((1.5 * SEARCH_CANDIDATES) / (visibleShare * (n / sizes.contacts)));
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(Math.max(allMatches, walkToCandidates));
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThan(sizes.contacts / 10);
  });

  it('count=exact counts the member’s rows through the owner index (BitmapOr with the shares), reading each once', async () => {
    const plan = planFor(contacts, 'limit=25', orgId, grants);
    const a = await explainAnalyze(countSql(plan), plan.filterValues);
    expectIndexServed(a, 'contacts count=exact');
    expect(a.indexes).toContain('contacts_org_owner_idx');
    // Measured: 55,163 rows read for 54,638 visible (the rest are trashed rows the owner index
    // holds and the heap check drops), against 300,000 in the org.
    expect(a.tableRows.contacts).toBeGreaterThanOrEqual(sizes.visibleContacts);
    expect(a.tableRows.contacts, describePlan(a)).toBeLessThanOrEqual(Math.ceil(sizes.visibleContacts * 1.1));
  });

  it('/v1/deals default page walks the recency index (owners, a criteria rule and shares ORed)', async () => {
    const plan = planFor(deals, 'limit=25', orgId, grants);
    expect(plan.statement).toContain('d.status = ');
    const a = await explainAnalyze(plan.statement, plan.values);
    expectIndexServed(a, 'deals default page');
    expect(a.indexes).toContain('deals_org_created_idx');
    // Measured: 45 rows.
    expect(a.tableRows.deals, describePlan(a)).toBeLessThanOrEqual(pageBound(sizes.visibleDeals, sizes.deals));
  });
});

/**
 * A factory org under private contacts: one user owns 12,000 contacts at the bottom of a
 * hierarchy 10 levels deep (41 users a level), so the top manager's grants list 412 owners;
 * outsiders beside the hierarchy own 16,000 more the top manager may not read (20 of them shared
 * with the top manager by hand). The new org is not in the table's statistics (no ANALYZE here:
 * the table is shared with every other test), as a new tenant is not until autovacuum runs,
 * so the rows read are what proves the plan.
 */
describe('sharing plans: an owner of 12,000 records, a hierarchy 10 levels deep', () => {
  let org: TestOrg;
  let bigOwner: string;
  const LEVELS = 10;
  const WIDTH = 40;
  const OWNED = 12_000;
  const grantsOfUser = {} as Record<'top' | 'big', UserGrants>;
  let visibleToTop = 0;

  beforeAll(async () => {
    org = await createOrg();
    const top = org.users.manager.id; // reports to the admin
    // Level k: one user carrying the chain down, and WIDTH siblings beside them.
    let parent = top;
    const hierarchy: string[] = [];
    for (let level = 1; level <= LEVELS; level++) {
      const rows = await sql<{ id: string }>(
        `insert into users (org_id, email, name, role, manager_id)
         select $1, 'l' || $3 || '-' || i || '@' || $4 || '.test', 'Level ' || $3 || ' #' || i, 'member', $2 from generate_series(0, $5) i
         returning id`,
        [org.id, parent, level, org.slug, WIDTH],
      );
      hierarchy.push(...rows.map((r) => r.id));
      parent = rows[0].id;
    }
    bigOwner = parent; // the deepest of the chain
    const outsiders = (
      await sql<{ id: string }>(
        `insert into users (org_id, email, name, role, manager_id)
         select $1, 'out-' || i || '@' || $3 || '.test', 'Outsider ' || i, 'member', $2 from generate_series(1, 20) i returning id`,
        [org.id, org.users.admin.id, org.slug],
      )
    ).map((r) => r.id);
    // Contacts interleaved in time (a multiplicative step over a year of minutes), so no owner
    // sits at one end of the recency index.
    const insert = (owners: string[], n: number, offset: number) =>
      sql(
        `insert into contacts (org_id, first_name, last_name, email, customer_id, owner_id, created_at, updated_at)
         select $1, 'F' || i, 'Name' || (i * 37 % 500), 'p' || i || '@x.test', 'BIG-' || i, ($2::uuid[])[1 + i % cardinality($2::uuid[])],
                timestamptz '2025-01-01' + ((i * 7919) % 525600) * interval '1 minute', timestamptz '2025-01-01'
           from generate_series($3::int, $3::int + $4::int - 1) i`,
        [org.id, owners, offset, n],
      );
    await insert([bigOwner], OWNED, 0);
    await insert(hierarchy, hierarchy.length * 10, OWNED);
    await insert(outsiders, 16_000, OWNED + hierarchy.length * 10);
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true)`, [org.id]);
    await sql(
      `insert into record_shares (org_id, object_type, record_id, grantee_type, grantee_id, access)
       select $1, 'contact', id, 'user', $2, 'read' from contacts where org_id = $1 and owner_id = any($3::uuid[]) order by id limit 20`,
      [org.id, top, outsiders],
    );
    grantsOfUser.top = await grantsOf(org.id, top);
    grantsOfUser.big = await grantsOf(org.id, bigOwner);
    expect(grantsOfUser.top.objects.contact.readOwners).toHaveLength(2 + LEVELS * (WIDTH + 1)); // themself, the factory member, the levels;
    expect(grantsOfUser.big.objects.contact.readOwners).toEqual([bigOwner]);
    visibleToTop = OWNED + hierarchy.length * 10 + 20; // the shares
  }, 120_000);

  afterAll(async () => {
    // Its 32,000 rows are no fixture anyone else needs: the shared database stays the seeded size.
    if (org) await sql('delete from orgs where id = $1', [org.id]);
  }, 120_000);

  const plans = (who: 'big' | 'top', qs = 'limit=25') => planFor(contacts, qs, org.id, grantsOfUser[who]);
  const visible = (who: 'big' | 'top') => (who === 'big' ? OWNED + 10 : visibleToTop); // the big owner is also a level-10 user (10 more)

  it('as a new tenant (not in the statistics): first pages and counts read indexes, never the table', async () => {
    for (const who of ['big', 'top'] as const) {
      const page = await explainAnalyze(plans(who).statement, plans(who).values);
      expectIndexServed(page, `${who} first page`);
      const count = await explainAnalyze(countSql(plans(who)), plans(who).filterValues);
      expectIndexServed(count, `${who} count`);
      const [{ n }] = await sql<{ n: number }>(`select n from (${countSql(plans(who))}) c`, plans(who).filterValues);
      expect(n).toBe(visible(who));
    }
    // Measured: the top manager's page walks contacts_org_created_idx, 50 rows for 26.
    const top = await explainAnalyze(plans('top').statement, plans('top').values);
    expect(top.tableRows.contacts, describePlan(top)).toBeLessThanOrEqual(4 * PAGE);
  });

  it('analyzed: the top manager (412 owners) pages by an order index and counts through the owner index', async () => {
    await withLocalStatistics(['contacts'], async (c) => {
      for (const qs of ['limit=25', 'order=last_name.asc&limit=25']) {
        const page = await explainAnalyze(plans('top', qs).statement, plans('top', qs).values, c);
        expectIndexServed(page, `top ${qs}`);
        expect(page.indexes.some((i) => i === 'contacts_org_created_idx' || i === 'contacts_org_last_name_idx')).toBe(true);
        // Measured: 50 and 48 rows.
        expect(page.tableRows.contacts, describePlan(page)).toBeLessThanOrEqual(4 * PAGE);
      }
      const count = await explainAnalyze(countSql(plans('top')), plans('top').filterValues, c);
      expectIndexServed(count, 'top count');
      expect(count.indexes).toContain('contacts_org_owner_idx');
      // Measured: 16,120 rows, each visible one once (as a new tenant it walked the org's 32,120 instead).
      expect(count.tableRows.contacts, describePlan(count)).toBeLessThanOrEqual(Math.ceil(visible('top') * 1.1));
      const big = await explainAnalyze(countSql(plans('big')), plans('big').filterValues, c);
      expectIndexServed(big, 'big count');
      expect(big.indexes).toContain('contacts_org_owner_idx');
      expect(big.tableRows.contacts, describePlan(big)).toBeLessThanOrEqual(Math.ceil(visible('big') * 1.1));
    });
  }, 60_000);

  // PLAN PROBLEM (reported): the owner of 12,010 records gets a Bitmap Heap Scan of all of them and
  // a top-N sort for a 25-row page, with or without the org in the statistics. The planner takes
  // org_id and owner_id as independent (an owner with 1.9 % of the table, an org with 5 %: ~600
  // rows expected, 12,010 there), so walking an order index looks dearer than sorting them.
  it('analyzed: the owner of 12,000 reads about a page of rows for the first page, ordered either way (migration 0015)', async () => {
    await withLocalStatistics(['contacts'], async (c) => {
      for (const qs of ['limit=25', 'order=last_name.asc&limit=25']) {
        const page = await explainAnalyze(plans('big', qs).statement, plans('big', qs).values, c);
        expectIndexServed(page, `big ${qs}`);
        // Measured: 71 and 70 rows with the statistics, 12,010 each without them.
        expect(page.tableRows.contacts, describePlan(page)).toBeLessThanOrEqual(4 * PAGE);
      }
    });
  }, 60_000);
});
