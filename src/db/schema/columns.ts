import { sql, type SQL } from 'drizzle-orm';
import { check, customType, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Primary key: random UUIDs so ids reveal nothing about tenants or volume. */
export const id = () => uuid('id').primaryKey().defaultRandom();
export const orgId = () => uuid('org_id').notNull();
export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const timestamps = () => ({ createdAt: createdAt(), updatedAt: updatedAt() });

/** Soft delete: default reads exclude rows with deleted_at set. */
export const softDelete = () => ({
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
  deletedBy: uuid('deleted_by'),
});

export const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * `search_text`: the quick-search fields lowercased into one stored string, for one-term
 * substring search (`q=`). One case-sensitive LIKE per row instead of an ILIKE per field
 * (ILIKE lowercases every value on every row) and one trigram index instead of a bitmap OR
 * over several: measured at 1.5M contacts, 200 candidates for a 3 % term in 2.8 ms
 * instead of 6.6 ms.
 */
export const searchText = (...columns: string[]) =>
  text('search_text').generatedAlwaysAs(sql.raw(`lower(${columns.map((c) => `coalesce(${c}, '')`).join(` || ' ' || `)})`));

/** A check constraint that keeps a text column inside an `as const` list. */
export function oneOf(name: string, column: SQL | { name: string }, values: readonly string[]) {
  const col = 'name' in column ? sql.identifier(column.name) : column;
  return check(name, sql`${col} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`);
}
