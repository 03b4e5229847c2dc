import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, orgId } from './columns';
import { orgs } from './orgs';

/** Stripe-style idempotency: the first response to a key is stored and replayed. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    userId: uuid('user_id'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    bodyHash: text('body_hash').notNull(),
    status: integer('status'),
    response: jsonb('response'),
    lockedAt: timestamp('locked_at', { withTimezone: true }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);
