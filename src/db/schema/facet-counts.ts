import { bigint, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * Facet counts at owner grain (migrations/0021, decision 0052): per org and resource, how many
 * live rows of each owner hold each value of each facet field. Rewritten per (org, resource) by
 * the 5-minute cron; a caller's unfiltered facets are the sum over the owners they may read.
 * owner_id and value may be null (no owner, no value): no primary key, the lookup index only.
 */
export const facetCounts = pgTable(
  'facet_counts',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    resource: text('resource').notNull(),
    field: text('field').notNull(),
    ownerId: uuid('owner_id'),
    value: text('value'),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [index('facet_counts_lookup_idx').on(t.orgId, t.resource, t.field, t.ownerId)],
);
