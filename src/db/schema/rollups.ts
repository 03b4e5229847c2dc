import { jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/** Precomputed facets and report aggregates per org, refreshed by cron. */
export const rollups = pgTable(
  'rollups',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    key: text('key').notNull(),
    data: jsonb('data').notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.key] })],
);
