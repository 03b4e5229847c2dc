-- The deal cube (issue 26, decision 0052): per org, deal counts and sums by owner, pipeline,
-- stage, status and expected-close month, rewritten per org by the 5-minute cron. Pipeline
-- stats, the forecast and the kanban's stage totals read it for orgs too big to sum live.
-- weighted: Σ value × probability / 100 at full precision (rounded when read); valued: deals
-- with a value (for the average).
CREATE TABLE "deal_cells" (
	"org_id" uuid NOT NULL,
	"owner_id" uuid,
	"pipeline_id" uuid NOT NULL,
	"stage_id" uuid NOT NULL,
	"status" text NOT NULL,
	"close_month" date,
	"n" bigint NOT NULL,
	"value" numeric NOT NULL,
	"weighted" numeric NOT NULL,
	"valued" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deal_cells" ADD CONSTRAINT "deal_cells_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deal_cells_org_owner_idx" ON "deal_cells" USING btree ("org_id","owner_id");
