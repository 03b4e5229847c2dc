import { bigint, date, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Month partitions of audit_log archived to R2 by the daily upkeep and then dropped
 * (src/resources/audit/upkeep.ts, decision 0048). Housekeeping across orgs: `org_rows` says
 * how many rows of each org the archive holds, so an org's trail can say what of its history
 * is archived, and where.
 */
export const auditArchives = pgTable('audit_archives', {
  partition: text('partition').primaryKey(),
  month: date('month').notNull(),
  objectKey: text('object_key').notNull(),
  manifestKey: text('manifest_key').notNull(),
  rows: bigint('rows', { mode: 'number' }).notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  orgRows: jsonb('org_rows').notNull(),
  archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
});
