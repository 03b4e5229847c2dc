import { sql, type SQL } from 'drizzle-orm';
import { check, customType, timestamp, uuid } from 'drizzle-orm/pg-core';

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

/** A check constraint that keeps a text column inside an `as const` list. */
export function oneOf(name: string, column: SQL | { name: string }, values: readonly string[]) {
  const col = 'name' in column ? sql.identifier(column.name) : column;
  return check(name, sql`${col} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`);
}
