import { bigint, boolean, date, index, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/** What every cell of the deal cubes holds: its org, owner (none in the org's totals, `whole`), pipeline, stage and status, and the sums. */
const cell = () => ({
  orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
  whole: boolean('whole').notNull().default(false),
  ownerId: uuid('owner_id'),
  pipelineId: uuid('pipeline_id').notNull(),
  stageId: uuid('stage_id').notNull(),
  status: text('status').notNull(),
  n: bigint('n', { mode: 'number' }).notNull(),
  value: numeric('value').notNull(),
  /** Σ value × probability / 100, unrounded. */
  weighted: numeric('weighted').notNull(),
  /** Deals with a value (for the average). */
  valued: bigint('valued', { mode: 'number' }).notNull(),
});

/**
 * The deal cube (migrations/0022–0023, decision 0052): per org, live deals counted and summed by
 * owner, pipeline, stage, status and expected-close month, and the same without the owner (the
 * org's totals, `whole`), rewritten per org by the 5-minute cron (src/resources/analytics/deal-cube.ts).
 */
export const dealCells = pgTable('deal_cells', { ...cell(), closeMonth: date('close_month') }, (t) => [
  index('deal_cells_org_owner_idx').on(t.orgId, t.whole, t.ownerId),
]);

/**
 * The same sums by created month (UTC) instead of close month (migrations/0025): deal stats under
 * a `created_at` range read a range's whole months here and its partial edge months live.
 */
export const dealCreatedCells = pgTable('deal_created_cells', { ...cell(), createdMonth: date('created_month').notNull() }, (t) => [
  index('deal_created_cells_org_idx').on(t.orgId, t.whole, t.createdMonth),
]);
