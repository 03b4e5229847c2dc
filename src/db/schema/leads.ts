import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { LEAD_STATUSES, SOURCES } from '../../core/enums';
import { id, oneOf, orgId, orgSearch, searchText, softDelete, timestamps } from './columns';
import { contacts } from './contacts';
import { orgs } from './orgs';
import { users } from './users';

const live = sql`deleted_at is null`;

export const leads = pgTable(
  'leads',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    companyName: text('company_name'),
    status: text('status', { enum: LEAD_STATUSES }).notNull().default('new'),
    source: text('source', { enum: SOURCES }),
    score: integer('score').notNull().default(0),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    convertedContactId: uuid('converted_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    search: orgSearch('first_name', 'last_name', 'email', 'company_name'),
    searchText: searchText('first_name', 'last_name', 'email', 'company_name'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    // Also leads_org_created_search_idx: this order INCLUDE (search_text, search), hand-written
    // in migrations 0006 and 0009 (no INCLUDE in drizzle's builder), for index-only walks of
    // trigram and full-text search for common terms.
    index('leads_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('leads_org_updated_idx').on(t.orgId, t.updatedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('leads_org_last_name_idx').on(t.orgId, t.lastName, t.id).where(live),
    index('leads_org_score_idx').on(t.orgId, t.score, t.id).where(live),
    index('leads_org_status_idx').on(t.orgId, t.status, t.createdAt.desc().nullsFirst()).where(live),
    index('leads_org_deleted_idx').on(t.orgId, t.deletedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`deleted_at is not null`),
    index('leads_org_owner_idx').on(t.orgId, t.ownerId),
    index('leads_converted_contact_idx').on(t.convertedContactId),
    index('leads_first_name_trgm').using('gin', sql`${t.firstName} gin_trgm_ops`),
    index('leads_last_name_trgm').using('gin', sql`${t.lastName} gin_trgm_ops`),
    index('leads_email_trgm').using('gin', sql`${t.email} gin_trgm_ops`),
    index('leads_company_name_trgm').using('gin', sql`${t.companyName} gin_trgm_ops`),
    index('leads_search_text_trgm').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('leads_search_gin').using('gin', t.search),
    oneOf('leads_status_check', t.status, LEAD_STATUSES),
    oneOf('leads_source_check', t.source, SOURCES),
    check('leads_score_range', sql`score between 0 and 100`),
  ],
);
