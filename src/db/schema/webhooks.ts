import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { WEBHOOK_DELIVERY_STATUSES } from '../../core/enums';
import { id, oneOf, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

/**
 * A change-webhook subscription (issue 25, decision 0047): the org's committed writes of the
 * event types it names, and whose record matches its filter, are POSTed to `url`, signed with
 * `secret` (Standard Webhooks, `whsec_…`).
 */
export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** Event types: `contact.created`, `deal.stage_changed`, … */
    events: text('events').array().notNull(),
    /** A where tree of the JSON dialect over the events' object (all events of one object), or null. */
    filter: jsonb('filter'),
    secret: text('secret').notNull(),
    active: boolean('active').notNull().default(true),
    /** Deliveries failed in a row (after all their attempts); a success resets it. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps(),
  },
  (t) => [
    index('webhook_subscriptions_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // What every write of an org with subscriptions asks: its active ones.
    index('webhook_subscriptions_org_active_idx').on(t.orgId).where(sql`active`),
  ],
);

/** One event sent (or to be sent) to one subscription: its payload, attempts and outcome. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    /** `{type, timestamp, data}`: the body, serialised at each attempt and signed as sent. */
    payload: jsonb('payload').notNull(),
    /** The `webhook-id` header: the same on every attempt, so receivers can drop duplicates. */
    webhookId: text('webhook_id').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastResponseStatus: smallint('last_response_status'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    index('webhook_deliveries_subscription_created_idx').on(t.orgId, t.subscriptionId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    uniqueIndex('webhook_deliveries_webhook_id_key').on(t.webhookId),
    oneOf('webhook_deliveries_status_check', t.status, WEBHOOK_DELIVERY_STATUSES),
  ],
);
