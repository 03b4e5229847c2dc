-- Extensions the schema relies on: trigram indexes for substring search, btree_gin for
-- org-leading composite GIN indexes where plan tests show they win.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
