-- The kanban's first deals per stage (GET /v1/pipelines/{id}/kanban, decision 0052): each
-- stage's most recently updated live deals, read in order from this index and stopped after
-- `per_stage`. Without it Postgres read every deal of each stage and sorted them (353 ms for a
-- 425k-deal pipeline on the bench's largest org).
CREATE INDEX IF NOT EXISTS "deals_org_stage_updated_idx" ON "deals" USING btree ("org_id","stage_id","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;
