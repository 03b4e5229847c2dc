import { beforeAll, describe, expect, it } from 'vitest';
import { planTimeline, type TimelineKey } from '../../src/resources/analytics/timeline';
import type { UserGrants } from '../../src/sharing/types';
import { createOrg } from '../support/factories';
import { demoOrg, seededUser } from '../support/seeded';
import { grantsOf } from '../support/sharing';
import { explain, sql } from '../support/sql';

// The contact timeline's statement on the seeded dataset (≥ 200k contacts and deals): the
// contact's activities and deals are read by index (activities_contact_idx, deals_contact_idx),
// their audit records by (org_id, object_type, object_id, at), and a page reads about a page of
// activities even for a contact with thousands. No new index is needed.
const BIG = ['contacts', 'deals', 'activities', 'addresses', 'customer_relationships', 'companies', 'leads'];

async function explainPage(of: { orgId: string; contactId: string }, access?: UserGrants, after?: TimelineKey) {
  const plan = planTimeline({ ...of, limit: 25, access, after });
  const e = await explain(plan.statement, plan.values, { analyze: true });
  expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
  return e;
}

describe('contact timeline plans on seeded data', () => {
  let demo: { orgId: string; contactId: string };
  let activities: number;

  beforeAll(async () => {
    const { orgId } = await demoOrg();
    // The busiest seeded contact that has deals too: the most a timeline page merges there.
    const [row] = await sql<{ contact_id: string; n: number }>(
      `select ac.contact_id::text, count(*)::int as n from activities ac
        where ac.org_id = $1 and ac.contact_id is not null and exists (select 1 from deals d where d.contact_id = ac.contact_id)
        group by ac.contact_id order by count(*) desc limit 1`,
      [orgId],
    );
    expect(row, 'the seeded org has a contact with activities and deals').toBeTruthy();
    demo = { orgId, contactId: row.contact_id };
    activities = row.n;
  });

  it('as the admin: the contact’s activities and deals by their indexes, first page and by cursor', async () => {
    const e = await explainPage(demo);
    expect(e.indexes).toContain('activities_contact_idx');
    expect(e.indexes).toContain('deals_contact_idx');
    expect(e.tableRows.activities).toBeLessThanOrEqual(activities);
    const [second] = await sql<{ at: string; id: string }>(
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id::text from activities
        where org_id = $1 and contact_id = $2 order by created_at desc, id::text desc offset 1 limit 1`,
      [demo.orgId, demo.contactId],
    );
    const after = await explainPage(demo, undefined, [second.at, 'activity', second.id]);
    expect(after.indexes).toContain('activities_contact_idx');
  });

  it('as a member under private defaults: the same indexes, the access conditions beside them', async () => {
    const member = await seededUser('member@demo.test');
    const e = await explainPage(demo, await grantsOf(demo.orgId, member.id));
    expect(e.indexes).toContain('activities_contact_idx');
    expect(e.indexes).toContain('deals_contact_idx');
  });

  it('a contact with thousands of activities: a page reads about a page of them', async () => {
    const org = await createOrg();
    const [{ id }] = await sql(`insert into contacts (org_id, first_name) values ($1, 'Busy') returning id`, [org.id]);
    await sql(
      `insert into activities (org_id, type, subject, contact_id, created_at)
       select $1, 'call', 'Call ' || i, $2, now() - i * interval '1 minute' from generate_series(1, 5000) i`,
      [org.id, id],
    );
    const e = await explainPage({ orgId: org.id, contactId: id });
    // Newest first from an index's order (the contact's, or the org's recency index when the
    // contact is all the org has): 26 rows and the rest of their instant, not 5000.
    expect(e.tableRows.activities).toBeLessThanOrEqual(60);
  });
});
