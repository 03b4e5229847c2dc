-- Hand-written: sharing's owner condition (owner_id = any($n), src/query/access.ts) is planned
-- as if owner and org were independent. They are not: an owner's rows all lie in one org. For a
-- user who owns many records, the planner then expects a few hundred rows where there are
-- thousands and reads all of them through the owner index, then sorts, instead of walking the
-- order index to the page (12,010 rows read for a page of 26, measured in
-- test/plans/sharing-plans.test.ts). Multivariate statistics on (org_id, owner_id) tell it.
CREATE STATISTICS IF NOT EXISTS contacts_org_owner_stats (dependencies, mcv) ON org_id, owner_id FROM contacts;
--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS deals_org_owner_stats (dependencies, mcv) ON org_id, owner_id FROM deals;
--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS leads_org_owner_stats (dependencies, mcv) ON org_id, owner_id FROM leads;
--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS companies_org_owner_stats (dependencies, mcv) ON org_id, owner_id FROM companies;
--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS activities_org_owner_stats (dependencies, mcv) ON org_id, owner_id FROM activities;
--> statement-breakpoint
ANALYZE contacts, deals, leads, companies, activities;
