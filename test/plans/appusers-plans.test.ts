import { beforeAll, describe, expect, it } from 'vitest';
import { parseAppUsersQuery } from '../../src/resources/appusers/parse';
import { compileAppUsers } from '../../src/resources/appusers/service';
import { demoOrg } from '../support/seeded';
import { explain } from '../support/sql';

describe('appusers plans on seeded data', () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = (await demoOrg()).orgId;
  });

  const compile = (qs: string) => compileAppUsers(orgId, parseAppUsersQuery(Object.fromEntries(new URLSearchParams(qs))), 1);

  it('a first_name contains filter uses the trigram index', async () => {
    const c = compile('first_name=kenj');
    // The count reads every match: through the trigram index.
    const count = await explain(`select count(*)::int as n from (select 1 ${c.fromWhere} limit 10001) bounded`, c.filterValues);
    expect(count.indexes).toContain('contacts_first_name_trgm');
    // The page may instead walk the order's index and stop after 20 matches, when the planner
    // prices that cheaper (a common name); either way it never scans the table.
    const page = await explain(c.pageSql, c.values);
    expect(page.seqScans).not.toContain('contacts');
    expect(page.indexes.some((i) => i === 'contacts_first_name_trgm' || i === 'contacts_org_created_idx')).toBe(true);
  });

  it('city and last_name filters never scan contacts sequentially', async () => {
    for (const qs of ['city=ber', 'last_name=son', 'city=hamb&ordering=last_name', 'last_name=wickow&ordering=-created']) {
      const c = compile(qs);
      const e = await explain(c.pageSql, c.values);
      expect(e.seqScans, qs).not.toContain('contacts');
    }
  });
});
