-- Month partitions of audit_log archived to R2 by the daily upkeep (src/resources/audit/upkeep.ts,
-- decision 0048), recorded before the partition is dropped. org_rows: { "<org id>": rows }.
CREATE TABLE IF NOT EXISTS "audit_archives" (
	"partition" text PRIMARY KEY NOT NULL,
	"month" date NOT NULL,
	"object_key" text NOT NULL,
	"manifest_key" text NOT NULL,
	"rows" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"org_rows" jsonb NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL
);
