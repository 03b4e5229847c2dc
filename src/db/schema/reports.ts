import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

/**
 * Saved reports (migrations/0021, decision 0052): a definition checked against the resource's
 * whitelist (src/resources/analytics/report-spec.ts), materialized by the 10-minute cron;
 * max_age_seconds is how old a stale result may be before a read recomputes it.
 */
export const reports = pgTable(
  'reports',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    definition: jsonb('definition').notNull(),
    maxAgeSeconds: integer('max_age_seconds').notNull().default(600),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps(),
  },
  (t) => [index('reports_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())],
);

/** A saved report's partial measures per owner and group (dims and measures as jsonb arrays), summed at read time. */
export const reportCells = pgTable(
  'report_cells',
  {
    orgId: uuid('org_id').notNull(),
    reportId: uuid('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id'),
    dims: jsonb('dims').notNull(),
    measures: jsonb('measures').notNull(),
  },
  (t) => [index('report_cells_lookup_idx').on(t.orgId, t.reportId, t.ownerId)],
);
