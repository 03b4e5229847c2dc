import { sql } from 'drizzle-orm';
import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps } from './columns';
import { orgs } from './orgs';

export const addresses = pgTable(
  'addresses',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    street: text('street'),
    streetNumber: text('street_number'),
    cityCode: text('city_code'),
    city: text('city'),
    postalCode: text('postal_code'),
    country: text('country'),
    ...timestamps(),
  },
  (t) => [
    index('addresses_org_idx').on(t.orgId),
    // Substring filters (appusers city/street/country) are served by trigram GIN indexes.
    index('addresses_city_trgm').using('gin', sql`${t.city} gin_trgm_ops`),
    index('addresses_street_trgm').using('gin', sql`${t.street} gin_trgm_ops`),
    index('addresses_country_trgm').using('gin', sql`${t.country} gin_trgm_ops`),
  ],
);
