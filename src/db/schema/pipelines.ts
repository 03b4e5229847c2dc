import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps } from './columns';
import { orgs } from './orgs';

export const pipelines = pgTable(
  'pipelines',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    // One default pipeline per org (seed constraint unique_default_pipeline_per_org).
    uniqueIndex('pipelines_one_default_per_org').on(t.orgId).where(sql`is_default`),
    uniqueIndex('pipelines_org_name_key').on(t.orgId, t.name),
    index('pipelines_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);
