import { sql } from 'drizzle-orm';
import { check, date, index, integer, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { DEAL_STATUSES } from '../../core/enums';
import { id, oneOf, orgId, orgSearch, softDelete, timestamps } from './columns';
import { companies } from './companies';
import { contacts } from './contacts';
import { orgs } from './orgs';
import { pipelineStages } from './pipeline-stages';
import { pipelines } from './pipelines';
import { users } from './users';

const live = sql`deleted_at is null`;

export const deals = pgTable(
  'deals',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    value: numeric('value', { precision: 14, scale: 2 }).notNull().default('0'),
    currency: text('currency').notNull().default('USD'),
    probability: integer('probability').notNull().default(0),
    status: text('status', { enum: DEAL_STATUSES }).notNull().default('open'),
    expectedCloseDate: date('expected_close_date'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    pipelineId: uuid('pipeline_id')
      .notNull()
      .references(() => pipelines.id),
    stageId: uuid('stage_id')
      .notNull()
      .references(() => pipelineStages.id),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    companyId: uuid('company_id').references(() => companies.id, { onDelete: 'set null' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    search: orgSearch('name'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    index('deals_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('deals_org_updated_idx').on(t.orgId, t.updatedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('deals_org_value_idx').on(t.orgId, t.value, t.id).where(live),
    index('deals_org_close_idx').on(t.orgId, t.expectedCloseDate, t.id).where(live),
    index('deals_org_name_idx').on(t.orgId, t.name, t.id).where(live),
    index('deals_org_stage_idx').on(t.orgId, t.stageId, t.status).where(live),
    /** The kanban's first deals per stage, newest first (migrations/0024). */
    index('deals_org_stage_updated_idx').on(t.orgId, t.stageId, t.updatedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('deals_org_pipeline_idx').on(t.orgId, t.pipelineId, t.status).where(live),
    index('deals_org_deleted_idx').on(t.orgId, t.deletedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`deleted_at is not null`),
    index('deals_org_owner_idx').on(t.orgId, t.ownerId),
    index('deals_contact_idx').on(t.contactId),
    index('deals_company_idx').on(t.companyId),
    index('deals_stage_idx').on(t.stageId),
    index('deals_name_trgm').using('gin', sql`${t.name} gin_trgm_ops`),
    index('deals_search_gin').using('gin', t.search),
    oneOf('deals_status_check', t.status, DEAL_STATUSES),
    check('deals_value_non_negative', sql`value >= 0`),
    check('deals_probability_range', sql`probability between 0 and 100`),
  ],
);
