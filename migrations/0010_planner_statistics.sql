-- Hand-written: a finer statistics sample for every trigram-indexed column, so the planner's
-- guess at how many rows a substring matches cannot jump from "a handful" to "one in a
-- hundred" on an unlucky ANALYZE sample.
-- For a pattern like '%wickow%' Postgres estimates the share of matching rows by testing the
-- pattern against the column's histogram (100 entries at the default target). A rare name
-- that happens to be one of them is taken for ~1 % of the org, and a page in another order
-- (recency, say) is then planned as a walk of that order's index until the page fills: for
-- `wickow` (490 matches in the 3M bench's largest org) 92k rows and 270 ms, for a name with
-- fewer than 26 matches all 1.48M rows of the org.
-- Measured on the 600k test database, 60–80 rare substrings re-planned after each of 30–60
-- fresh ANALYZEs: at the default target 1.7 % of (pattern, sample) pairs got that plan for a
-- last_name filter, 1.7 % for email, 1.8 % for quick search's search_text; at 500: 0.02 %,
-- 0.19 %, 0 (at 1000: 0, 0.08 %). The price is planning: the pattern is tested against
-- every entry, 0.22 → ~0.5 ms for an ILIKE filter on last_name (0.9 ms at 1000); LIKE on
-- search_text barely moves. ANALYZE samples 150k rows per table instead of 30k.
-- Not field_values.value: a misjudged substring there costs a scan of one org's distinct
-- values, and the value walk estimates it three times (planning 0.6 → 1.3 ms at 500).
ALTER TABLE "contacts" ALTER COLUMN "first_name" SET STATISTICS 500, ALTER COLUMN "last_name" SET STATISTICS 500,
  ALTER COLUMN "email" SET STATISTICS 500, ALTER COLUMN "phone" SET STATISTICS 500, ALTER COLUMN "search_text" SET STATISTICS 500;
--> statement-breakpoint
ALTER TABLE "leads" ALTER COLUMN "first_name" SET STATISTICS 500, ALTER COLUMN "last_name" SET STATISTICS 500,
  ALTER COLUMN "email" SET STATISTICS 500, ALTER COLUMN "company_name" SET STATISTICS 500, ALTER COLUMN "search_text" SET STATISTICS 500;
--> statement-breakpoint
ALTER TABLE "companies" ALTER COLUMN "name" SET STATISTICS 500, ALTER COLUMN "domain" SET STATISTICS 500, ALTER COLUMN "search_text" SET STATISTICS 500;
--> statement-breakpoint
ALTER TABLE "deals" ALTER COLUMN "name" SET STATISTICS 500;
--> statement-breakpoint
ALTER TABLE "addresses" ALTER COLUMN "street" SET STATISTICS 500, ALTER COLUMN "city" SET STATISTICS 500, ALTER COLUMN "country" SET STATISTICS 500;
--> statement-breakpoint
-- Existing rows get the finer statistics now rather than at the next autoanalyze.
ANALYZE "contacts", "leads", "companies", "deals", "addresses";
