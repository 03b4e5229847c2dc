-- Descending index keys must say NULLS FIRST (plain DESC): drizzle-kit emitted DESC NULLS LAST,
-- which no 'ORDER BY x DESC' can use, so default-order lists sorted the whole org instead
-- of reading the index. Plan tests (test/plans) now prove each order is index-served.
DROP INDEX "teams_org_created_idx";--> statement-breakpoint
DROP INDEX "users_org_created_idx";--> statement-breakpoint
DROP INDEX "companies_org_created_idx";--> statement-breakpoint
DROP INDEX "companies_org_updated_idx";--> statement-breakpoint
DROP INDEX "companies_org_deleted_idx";--> statement-breakpoint
DROP INDEX "contacts_org_created_idx";--> statement-breakpoint
DROP INDEX "contacts_org_updated_idx";--> statement-breakpoint
DROP INDEX "contacts_org_deleted_idx";--> statement-breakpoint
DROP INDEX "contacts_org_owner_idx";--> statement-breakpoint
DROP INDEX "leads_org_created_idx";--> statement-breakpoint
DROP INDEX "leads_org_updated_idx";--> statement-breakpoint
DROP INDEX "leads_org_status_idx";--> statement-breakpoint
DROP INDEX "leads_org_deleted_idx";--> statement-breakpoint
DROP INDEX "pipelines_org_created_idx";--> statement-breakpoint
DROP INDEX "deals_org_created_idx";--> statement-breakpoint
DROP INDEX "deals_org_updated_idx";--> statement-breakpoint
DROP INDEX "deals_org_deleted_idx";--> statement-breakpoint
DROP INDEX "activities_org_created_idx";--> statement-breakpoint
DROP INDEX "activities_contact_idx";--> statement-breakpoint
DROP INDEX "tags_org_created_idx";--> statement-breakpoint
DROP INDEX "export_jobs_org_created_idx";--> statement-breakpoint
DROP INDEX "workflow_runs_org_created_idx";--> statement-breakpoint
DROP INDEX "workflows_org_created_idx";--> statement-breakpoint
CREATE INDEX "teams_org_created_idx" ON "teams" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "users_org_created_idx" ON "users" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "companies_org_created_idx" ON "companies" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "companies_org_updated_idx" ON "companies" USING btree ("org_id","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "companies_org_deleted_idx" ON "companies" USING btree ("org_id","deleted_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is not null;--> statement-breakpoint
CREATE INDEX "contacts_org_created_idx" ON "contacts" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "contacts_org_updated_idx" ON "contacts" USING btree ("org_id","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "contacts_org_deleted_idx" ON "contacts" USING btree ("org_id","deleted_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is not null;--> statement-breakpoint
CREATE INDEX "contacts_org_owner_idx" ON "contacts" USING btree ("org_id","owner_id","created_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "leads_org_created_idx" ON "leads" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "leads_org_updated_idx" ON "leads" USING btree ("org_id","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "leads_org_status_idx" ON "leads" USING btree ("org_id","status","created_at" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "leads_org_deleted_idx" ON "leads" USING btree ("org_id","deleted_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is not null;--> statement-breakpoint
CREATE INDEX "pipelines_org_created_idx" ON "pipelines" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "deals_org_created_idx" ON "deals" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "deals_org_updated_idx" ON "deals" USING btree ("org_id","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "deals_org_deleted_idx" ON "deals" USING btree ("org_id","deleted_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE deleted_at is not null;--> statement-breakpoint
CREATE INDEX "activities_org_created_idx" ON "activities" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "activities_contact_idx" ON "activities" USING btree ("contact_id","created_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "tags_org_created_idx" ON "tags" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "export_jobs_org_created_idx" ON "export_jobs" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "workflow_runs_org_created_idx" ON "workflow_runs" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "workflows_org_created_idx" ON "workflows" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);