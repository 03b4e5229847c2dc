import { type SQL, sql } from 'drizzle-orm';
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
 * `search`: the full-text fields as a tsvector whose every lexeme carries the org's tag
 * (`crm_org_tsvector`, migration 0005), so the GIN posting list of a word holds only that
 * org's rows. Queries tag their tsquery the same way (`orgTsquery`): a search in one org no
 * longer decodes, rechecks and discards every other org's matches. The tag is a hint for the
 * index, not the wall: the org predicate still decides which rows are seen.
 */
export const orgSearch = (...columns: string[]) =>
  tsvector('search').generatedAlwaysAs(
    sql.raw(`crm_org_tsvector(org_id, to_tsvector('simple', ${columns.map((c) => `coalesce(${c}, '')`).join(` || ' ' || `)}))`),
  );

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
