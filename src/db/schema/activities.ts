import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { ACTIVITY_PRIORITIES, ACTIVITY_STATUSES, ACTIVITY_TYPES } from '../../core/enums';
import { id, oneOf, orgId, orgSearch, timestamps } from './columns';
import { companies } from './companies';
import { contacts } from './contacts';
import { deals } from './deals';
import { leads } from './leads';
import { orgs } from './orgs';
import { users } from './users';

/** Calls, emails, meetings, tasks, notes, messages: the contact timeline. */
export const activities = pgTable(
  'activities',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ACTIVITY_TYPES }).notNull(),
    subject: text('subject').notNull(),
    body: text('body'),
    status: text('status', { enum: ACTIVITY_STATUSES }).notNull().default('pending'),
    priority: text('priority', { enum: ACTIVITY_PRIORITIES }).notNull().default('medium'),
    dueAt: timestamp('due_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'cascade' }),
    companyId: uuid('company_id').references(() => companies.id, { onDelete: 'cascade' }),
    dealId: uuid('deal_id').references(() => deals.id, { onDelete: 'cascade' }),
    leadId: uuid('lead_id').references(() => leads.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    search: orgSearch('subject', 'body'),
    ...timestamps(),
  },
  (t) => [
    index('activities_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('activities_org_due_idx').on(t.orgId, t.dueAt, t.id),
    index('activities_org_status_due_idx').on(t.orgId, t.status, t.dueAt),
    index('activities_org_owner_idx').on(t.orgId, t.ownerId),
    index('activities_contact_idx').on(t.contactId, t.createdAt.desc().nullsFirst()),
    index('activities_company_idx').on(t.companyId),
    index('activities_deal_idx').on(t.dealId),
    index('activities_lead_idx').on(t.leadId),
    index('activities_search_gin').using('gin', t.search),
    oneOf('activities_type_check', t.type, ACTIVITY_TYPES),
    oneOf('activities_status_check', t.status, ACTIVITY_STATUSES),
    oneOf('activities_priority_check', t.priority, ACTIVITY_PRIORITIES),
  ],
);
