import { sql } from 'drizzle-orm';
import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * The distinct values that live rows hold in fields whose values repeat (names, industry), per
 * org: what a value walk (src/query/value-walk.ts) reads to find the values a substring
 * matches, in order, before it reads their rows. `field` is `<table>.<column>`. Statement
 * triggers on insert, update and delete keep it exact (migrations 0007–0008,
 * `crm_sync_field_values`): a value is listed while a live row holds it and forgotten when none
 * does. Never a source of records: every row is still read from its table, under its org and
 * soft-delete predicates.
 */
/** The columns whose distinct values are kept, per table: the triggers of migrations 0007–0008 and the seed's fill. */
export const FIELD_VALUE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  contacts: ['first_name', 'last_name'],
  leads: ['last_name'],
  companies: ['industry'],
};

export const fieldValues = pgTable(
  'field_values',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    field: text('field').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.field, t.value] }), index('field_values_value_trgm').using('gin', sql`${t.value} gin_trgm_ops`)],
);
