import { bigint, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Partitioned by month on `at`. drizzle-kit cannot declare partitioned tables, so this
 * table is created by the hand-written migration `0002_audit_log_partitions.sql` and is
 * left out of drizzle-kit's schema list (see drizzle/drizzle.config.ts); this definition
 * is for typed queries only.
 */
export const auditLog = pgTable('audit_log', {
  id: bigint('id', { mode: 'number' }).generatedByDefaultAsIdentity(),
  orgId: uuid('org_id').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  actorId: uuid('actor_id'),
  action: text('action').notNull(),
  objectType: text('object_type').notNull(),
  objectId: uuid('object_id').notNull(),
  changes: jsonb('changes'),
  requestId: text('request_id'),
});
