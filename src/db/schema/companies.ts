import { sql } from 'drizzle-orm';
import { index, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { SIZE_BANDS } from '../../core/enums';
import { addresses } from './addresses';
import { id, oneOf, orgId, orgSearch, searchText, softDelete, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

const live = sql`deleted_at is null`;

export const companies = pgTable(
  'companies',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    domain: text('domain'),
    industry: text('industry'),
    sizeBand: text('size_band', { enum: SIZE_BANDS }),
    annualRevenue: numeric('annual_revenue', { precision: 16, scale: 2 }),
    addressId: uuid('address_id').references(() => addresses.id, { onDelete: 'set null' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    search: orgSearch('name', 'domain', 'industry'),
    searchText: searchText('name', 'domain'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    // Also companies_org_created_search_idx: this order INCLUDE (search_text, search), hand-written
    // in migrations 0006 and 0009 (no INCLUDE in drizzle's builder), for index-only walks of
    // trigram and full-text search for common terms.
    index('companies_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('companies_org_updated_idx').on(t.orgId, t.updatedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(live),
    index('companies_org_name_idx').on(t.orgId, t.name, t.id).where(live),
    index('companies_org_domain_idx').on(t.orgId, t.domain, t.id).where(live),
    index('companies_org_revenue_idx').on(t.orgId, t.annualRevenue, t.id).where(live),
    index('companies_org_industry_idx').on(t.orgId, t.industry, t.id).where(live),
    index('companies_org_deleted_idx').on(t.orgId, t.deletedAt.desc().nullsFirst(), t.id.desc().nullsFirst()).where(sql`deleted_at is not null`),
    index('companies_org_owner_idx').on(t.orgId, t.ownerId),
    index('companies_address_idx').on(t.addressId),
    index('companies_name_trgm').using('gin', sql`${t.name} gin_trgm_ops`),
    index('companies_domain_trgm').using('gin', sql`${t.domain} gin_trgm_ops`),
    index('companies_search_text_trgm').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('companies_search_gin').using('gin', t.search),
    oneOf('companies_size_band_check', t.sizeBand, SIZE_BANDS),
  ],
);
