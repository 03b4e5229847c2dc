import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { orgId } from './columns';
import { orgs } from './orgs';

/**
 * The org's cache generation: a number every committed write raises (`bumpGeneration`,
 * src/write/generation.ts), returned to the writer as `X-Generation`. Until the edge tiers move
 * it into the org's Durable Object it lives here, one row per org, raised by one short
 * autocommit statement after the write's commit (the row lock is held for that statement only).
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
  /** The resources the last write changed (what a reader's cache key would need to move). */
  resources: text('resources').array().notNull().default([]),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
