-- Export jobs (issue 25): what a consumer needs to resume exactly where it stopped, and the
-- caller's access as of the job's creation.
-- grants: the creator's compiled sharing grants (src/sharing/types.ts UserGrants) when the job was
--   created: the export shows what they could read then, whatever changes later.
-- parts: the R2 multipart parts uploaded so far ([{ partNumber, etag }]), in order.
-- checkpoint: how many checkpoints were committed; the bytes not yet in a part at the last one
--   (fewer than a part's size) are in the R2 object `<object_key>.carry.<checkpoint>`.
-- lease_until: a delivery runs the job only while it holds the lease (at-least-once delivery can
--   hand the same job to two consumers at once); renewed at each checkpoint.
-- crc, raw_bytes: gzip's CRC-32 and length of the uncompressed bytes up to the checkpoint (the
--   file is one gzip member written across invocations; its trailer needs both).
-- 'expired': the object was deleted by the daily cron after expires_at.
ALTER TABLE "export_jobs" ADD COLUMN "grants" jsonb;--> statement-breakpoint
ALTER TABLE "export_jobs" ADD COLUMN "parts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "export_jobs" ADD COLUMN "checkpoint" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "export_jobs" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "export_jobs" ADD COLUMN "crc" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "export_jobs" ADD COLUMN "raw_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "export_jobs" DROP CONSTRAINT "export_jobs_status_check";--> statement-breakpoint
ALTER TABLE "export_jobs" ADD CONSTRAINT "export_jobs_status_check" CHECK ("status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired'));
