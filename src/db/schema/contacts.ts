import { sql } from 'drizzle-orm';
import { date, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { CONTACT_STATUSES, GENDERS, LIFECYCLE_STAGES, SOURCES } from '../../core/enums';
import { addresses } from './addresses';
import { id, oneOf, orgId, orgSearch, searchText, softDelete, timestamps } from './columns';
import { companies } from './companies';
import { orgs } from './orgs';
import { users } from './users';

const live = sql`deleted_at is null`;

/** The person record (a.k.a. customer, app user). */
export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    gender: text('gender', { enum: GENDERS }),
    customerId: text('customer_id'),
    birthday: date('birthday'),
    status: text('status', { enum: CONTACT_STATUSES }).notNull().default('active'),
    lifecycleStage: text('lifecycle_stage', { enum: LIFECYCLE_STAGES }).notNull().default('subscriber'),
    source: text('source', { enum: SOURCES }),
    addressId: uuid('address_id').references(() => addresses.id, { onDelete: 'set null' }),
    primaryCompanyId: uuid('primary_company_id').references(() => companies.id, { onDelete: 'set null' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    search: orgSearch('first_name', 'last_name', 'email', 'phone', 'customer_id'),
    searchText: searchText('first_name', 'last_name', 'email'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    uniqueIndex('contacts_org_customer_id_key').on(t.orgId, t.customerId),
    // Every sortable field has an index that yields its order within an org (both directions).
    // Also contacts_org_created_search_idx: this order INCLUDE (search_text, search), hand-written
    // in migrations 0006 and 0009 (no INCLUDE in drizzle's builder), for index-only walks of
    // trigram and full-text search for common terms.
    index('contacts_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('contacts_org_updated_idx').on(t.orgId, t.updatedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('contacts_org_id_idx').on(t.orgId, t.id).where(live),
    index('contacts_org_first_name_idx').on(t.orgId, t.firstName, t.id).where(live),
    index('contacts_org_last_name_idx').on(t.orgId, t.lastName, t.id).where(live),
    index('contacts_org_email_idx').on(t.orgId, t.email, t.id).where(live),
    index('contacts_org_phone_idx').on(t.orgId, t.phone, t.id).where(live),
    index('contacts_org_gender_idx').on(t.orgId, t.gender, t.id).where(live),
    index('contacts_org_birthday_idx').on(t.orgId, t.birthday, t.id).where(live),
    index('contacts_org_deleted_idx').on(t.orgId, t.deletedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`deleted_at is not null`),
    index('contacts_org_owner_idx').on(t.orgId, t.ownerId, t.createdAt.desc().nullsFirst()),
    index('contacts_address_idx').on(t.addressId),
    index('contacts_org_company_idx').on(t.orgId, t.primaryCompanyId),
    // Substring / typo-tolerant search and ranked full text.
    index('contacts_first_name_trgm').using('gin', sql`${t.firstName} gin_trgm_ops`),
    index('contacts_last_name_trgm').using('gin', sql`${t.lastName} gin_trgm_ops`),
    index('contacts_email_trgm').using('gin', sql`${t.email} gin_trgm_ops`),
    index('contacts_phone_trgm').using('gin', sql`${t.phone} gin_trgm_ops`),
    index('contacts_search_text_trgm').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('contacts_search_gin').using('gin', t.search),
    oneOf('contacts_gender_check', t.gender, GENDERS),
    oneOf('contacts_status_check', t.status, CONTACT_STATUSES),
    oneOf('contacts_lifecycle_stage_check', t.lifecycleStage, LIFECYCLE_STAGES),
    oneOf('contacts_source_check', t.source, SOURCES),
  ],
);
