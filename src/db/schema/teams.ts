import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps } from './columns';
import { orgs } from './orgs';

export const teams = pgTable(
  'teams',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('teams_org_name_key').on(t.orgId, t.name),
    index('teams_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);
