import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { JOB_STATUSES, STEP_CLASSES } from '../../core/enums';
import { id, oneOf, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

/** A workflow is a set of steps with dependencies (a DAG), stored as JSON. */
export const workflows = pgTable(
  'workflows',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    steps: jsonb('steps').notNull().default([]),
    /** What starts a run (migrations/0020_workflow_runs.sql). */
    trigger: jsonb('trigger').notNull().default({ type: 'manual' }),
    active: boolean('active').notNull().default(true),
    lastScheduledAt: timestamp('last_scheduled_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps(),
  },
  (t) => [index('workflows_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())],
);

export const workflowRuns = pgTable(
  'workflow_runs',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    context: jsonb('context').notNull().default({}),
    /** The steps as they were when the run started; what started it; who it acts as. */
    steps: jsonb('steps').notNull().default([]),
    trigger: jsonb('trigger').notNull().default({}),
    createdBy: uuid('created_by'),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    index('workflow_runs_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('workflow_runs_workflow_idx').on(t.workflowId),
    oneOf('workflow_runs_status_check', t.status, JOB_STATUSES),
  ],
);

export const workflowStepRuns = pgTable(
  'workflow_step_runs',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    runId: uuid('run_id')
      .notNull()
      .references(() => workflowRuns.id, { onDelete: 'cascade' }),
    stepKey: text('step_key').notNull(),
    stepClass: text('step_class', { enum: STEP_CLASSES }).notNull(),
    queue: text('queue').notNull(),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    /** Step keys this one waits for; set once when first enqueued. */
    dependsOn: text('depends_on').array().notNull().default([]),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    output: jsonb('output'),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('workflow_step_runs_key').on(t.orgId, t.runId, t.stepKey),
    index('workflow_step_runs_run_idx').on(t.runId),
    oneOf('workflow_step_runs_class_check', t.stepClass, STEP_CLASSES),
    oneOf('workflow_step_runs_status_check', t.status, JOB_STATUSES),
  ],
);
