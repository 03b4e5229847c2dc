-- Hand-written (drizzle's index builder has no INCLUDE): the recency index that quick search
-- walks (0006) carries the org-tagged tsvector too, so a full-text search for a common word
-- walks it index-only as trigram search already did. Before, `search` was on the heap only:
-- the walk read a heap page per row it tested (7,500 rows for 200 candidates of `maria` in
-- the largest org of the 3M bench, 7,079 buffers, 6.9 ms); index-only, 3.6 ms. It costs size:
-- 304 → 936 MB on the 3M contacts (the tsvector averages 193 bytes). A rare word still reads
-- the GIN index; the plain default-order index stays for lists and counts.
-- Built beside the old index, then swapped, so no moment is without one.
CREATE INDEX "contacts_org_created_search_idx_new" ON "contacts" ("org_id", "created_at" DESC, "id" DESC) INCLUDE ("search_text", "search") WHERE "deleted_at" IS NULL;
--> statement-breakpoint
DROP INDEX IF EXISTS "contacts_org_created_search_idx";
--> statement-breakpoint
ALTER INDEX "contacts_org_created_search_idx_new" RENAME TO "contacts_org_created_search_idx";
--> statement-breakpoint
CREATE INDEX "leads_org_created_search_idx_new" ON "leads" ("org_id", "created_at" DESC, "id" DESC) INCLUDE ("search_text", "search") WHERE "deleted_at" IS NULL;
--> statement-breakpoint
DROP INDEX IF EXISTS "leads_org_created_search_idx";
--> statement-breakpoint
ALTER INDEX "leads_org_created_search_idx_new" RENAME TO "leads_org_created_search_idx";
--> statement-breakpoint
CREATE INDEX "companies_org_created_search_idx_new" ON "companies" ("org_id", "created_at" DESC, "id" DESC) INCLUDE ("search_text", "search") WHERE "deleted_at" IS NULL;
--> statement-breakpoint
DROP INDEX IF EXISTS "companies_org_created_search_idx";
--> statement-breakpoint
ALTER INDEX "companies_org_created_search_idx_new" RENAME TO "companies_org_created_search_idx";
