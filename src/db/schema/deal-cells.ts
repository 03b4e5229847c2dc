import { bigint, boolean, date, index, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * The deal cube (migrations/0022–0023, decision 0052): per org, live deals counted and summed by
 * owner, pipeline, stage, status and expected-close month, and the same without the owner (the
 * org's totals, `whole`), rewritten per org by the 5-minute cron (src/resources/analytics/deal-cube.ts).
 */
export const dealCells = pgTable(
  'deal_cells',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    whole: boolean('whole').notNull().default(false),
    ownerId: uuid('owner_id'),
    pipelineId: uuid('pipeline_id').notNull(),
    stageId: uuid('stage_id').notNull(),
    status: text('status').notNull(),
    closeMonth: date('close_month'),
    n: bigint('n', { mode: 'number' }).notNull(),
    value: numeric('value').notNull(),
    /** Σ value × probability / 100, unrounded. */
    weighted: numeric('weighted').notNull(),
    /** Deals with a value (for the average). */
    valued: bigint('valued', { mode: 'number' }).notNull(),
  },
  (t) => [index('deal_cells_org_owner_idx').on(t.orgId, t.whole, t.ownerId)],
);
