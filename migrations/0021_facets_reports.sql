-- Facets and reports from rollups (issue 26 §5–6, decision 0052).
-- facet_counts: per org and resource, counts of each facet field's values per owner (the owner
-- grain): a caller's unfiltered facets are the sum over the owners they may read. Rewritten per
-- (org, resource) by the cron precompute in one transaction; owner_id and value may be null
-- (records without an owner, without a value), so there is no primary key, only the lookup index.
CREATE TABLE "facet_counts" (
	"org_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"field" text NOT NULL,
	"owner_id" uuid,
	"value" text,
	"n" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "facet_counts" ADD CONSTRAINT "facet_counts_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "facet_counts_lookup_idx" ON "facet_counts" USING btree ("org_id","resource","field","owner_id") INCLUDE ("value","n");--> statement-breakpoint
-- Saved reports: a definition (resource, measures, dimensions, filter) whose result the cron
-- materializes at the owner grain (report_cells) and, summed for the whole org, in rollups
-- (kind 'report', key the report's id); max_age_seconds is its freshness policy.
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"max_age_seconds" integer DEFAULT 600 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reports_org_created_idx" ON "reports" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE TABLE "report_cells" (
	"org_id" uuid NOT NULL,
	"report_id" uuid NOT NULL,
	"owner_id" uuid,
	"dims" jsonb NOT NULL,
	"measures" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "report_cells" ADD CONSTRAINT "report_cells_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_cells_lookup_idx" ON "report_cells" USING btree ("org_id","report_id","owner_id");
