-- Deal stats under a creation-date range (issue 26, decision 0052): the deal cube's counts and
-- sums by owner, pipeline, stage, status and created month (UTC), beside the close-month cells.
-- A range's whole months are summed from these; its partial first and last months are read
-- live (two index ranges). The org's totals have `whole` (owner_id null).
CREATE TABLE "deal_created_cells" (
	"org_id" uuid NOT NULL,
	"whole" boolean DEFAULT false NOT NULL,
	"owner_id" uuid,
	"pipeline_id" uuid NOT NULL,
	"stage_id" uuid NOT NULL,
	"status" text NOT NULL,
	"created_month" date NOT NULL,
	"n" bigint NOT NULL,
	"value" numeric NOT NULL,
	"weighted" numeric NOT NULL,
	"valued" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deal_created_cells" ADD CONSTRAINT "deal_created_cells_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deal_created_cells_org_idx" ON "deal_created_cells" USING btree ("org_id","whole","created_month");
--> statement-breakpoint
-- Cubes computed before have no created-month cells: dropped, so the next cron pass computes
-- them again (orgs without a cube are answered live meanwhile).
DELETE FROM "deal_cells";--> statement-breakpoint
DELETE FROM "rollups" WHERE "kind" = 'deal-cube';
