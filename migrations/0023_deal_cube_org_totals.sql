-- The deal cube keeps the org's totals beside the per-owner cells (decision 0052): rows with
-- `whole` sum every owner (owner_id null in them). Whoever reads every deal, without an owner
-- filter, sums a few hundred of those instead of one cell per owner (the largest bench org has
-- 299 owners: 100k per-owner cells took 60-120 ms to sum; its org cells, 2 ms).
ALTER TABLE "deal_cells" ADD COLUMN "whole" boolean DEFAULT false NOT NULL;--> statement-breakpoint
DROP INDEX IF EXISTS "deal_cells_org_owner_idx";--> statement-breakpoint
CREATE INDEX "deal_cells_org_owner_idx" ON "deal_cells" USING btree ("org_id","whole","owner_id");
--> statement-breakpoint
-- Cubes computed before have no org rows: dropped, so the next cron pass computes them again
-- (orgs without a cube are answered live meanwhile).
DELETE FROM "deal_cells";--> statement-breakpoint
DELETE FROM "rollups" WHERE "kind" = 'deal-cube';
