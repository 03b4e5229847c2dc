import { index, integer, pgTable, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, updatedAt } from './columns';
import { contacts } from './contacts';
import { orgs } from './orgs';

/** Loyalty history per contact (the seed's CustomerRelationship). */
export const customerRelationships = pgTable(
  'customer_relationships',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    points: integer('points').notNull().default(0),
    createdAt: createdAt(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('customer_relationships_contact_created_key').on(t.orgId, t.contactId, t.createdAt),
    index('customer_relationships_contact_idx').on(t.contactId),
    index('customer_relationships_org_points_idx').on(t.orgId, t.points),
    index('customer_relationships_org_last_activity_idx').on(t.orgId, t.lastActivityAt),
  ],
);
