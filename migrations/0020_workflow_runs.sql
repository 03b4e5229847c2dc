-- Workflows (issue 25 §2, decision 0049). workflows.trigger: {"type": "manual"} |
-- {"type": "record", "event": "deal.stage_changed"} | {"type": "schedule", "everyMinutes": 60};
-- active: only active workflows fire on events and schedules.
-- workflow_runs.steps: the workflow's steps as they were when the run started (an edit never
-- changes a running run); trigger: what started it (the record event, the schedule, the caller).
-- workflow_step_runs.depends_on: the step keys it waits for; enqueued_at: set once, by whoever
-- enqueues it first (two parents finishing together enqueue it once).
ALTER TABLE "workflows" ADD COLUMN "trigger" jsonb DEFAULT '{"type": "manual"}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "last_scheduled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "steps" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "trigger" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "created_by" uuid;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "workflow_step_runs" ADD COLUMN "depends_on" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_step_runs" ADD COLUMN "enqueued_at" timestamp with time zone;
