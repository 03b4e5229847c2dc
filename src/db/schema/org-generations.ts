import { bigint, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * The org's cache generation: a number every committed write raises (`bumpGeneration`,
 * src/write/generation.ts), returned to the writer as `X-Generation`. One row per org, raised by
 * one short autocommit statement after the write's commit (the row lock is held for that
 * statement only). The source of truth: the org's Durable Object serves it to readers at the
 * edge, re-reading it here when its copy is older than its bound (src/sharing/org-do.ts).
 */
export const orgGenerations = pgTable('org_generations', {
  orgId: orgId()
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  /**
   * Raised with the generation by writes that change what any user may see or edit: users
   * (role, manager, team, active), teams, sharing rules and settings. Compiled grants are keyed
   * by it (src/sharing/grants.ts). Record shares and ownership do not move it: SQL reads them live.
   */
  sharingVersion: bigint('sharing_version', { mode: 'number' }).notNull().default(0),
  /** The resources the last write changed. */
  resources: text('resources').array().notNull().default([]),
  /**
   * Per resource, the generation at which a write last changed it: a cached answer that reads
   * contacts and companies is keyed by the larger of theirs, so a write to deals leaves it valid.
   * A resource not listed has not changed since this column exists: its generation is 0.
   */
  changed: jsonb('changed').$type<Record<string, number>>().notNull().default({}),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
