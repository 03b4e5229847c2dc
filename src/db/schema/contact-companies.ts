import { index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { orgId, timestamps } from './columns';
import { companies } from './companies';
import { contacts } from './contacts';
import { orgs } from './orgs';

/** Many-to-many association of contacts and companies, with the contact's role there. */
export const contactCompanies = pgTable(
  'contact_companies',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    role: text('role'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.contactId, t.companyId] }),
    index('contact_companies_company_idx').on(t.companyId),
    index('contact_companies_contact_idx').on(t.contactId),
  ],
);
