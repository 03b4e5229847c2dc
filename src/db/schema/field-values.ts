import { sql } from 'drizzle-orm';
import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * The distinct values of fields whose values repeat (names, industry), per org: what a value
 * walk (src/query/value-walk.ts) reads to find the values a substring matches, in order, before
 * it reads their rows. `field` is `<table>.<column>`. Statement triggers add the values of
 * inserted and updated rows (migration 0007, `crm_note_field_values`); values whose rows are
 * gone stay until pruned and cost one empty index probe. Never a source of records: every row
 * is still read from its table, under its org and soft-delete predicates.
 */
/** The columns whose distinct values are kept, per table: the triggers of migration 0007 and the seed's fill. */
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
