import type { Context } from 'hono';
import type { Db } from '../../db/client';
import type { AppContext } from '../../http/context';
import type { Condition } from '../../query/ast';
import { type ListContext, listRows } from '../../query/execute';
import { parseQueryBody } from '../../query/parse-json';
import type { ChangeEvent } from '../../write/events';
import { RESOURCES } from '../registry';
import { listContext } from '../router';

/**
 * From committed writes to queued deliveries (decision 0047). The write's change sink
 * (src/resources/change-sink.ts) finds the org's active subscriptions to its events' types in a
 * lookup sent behind the write's COMMIT, in the same round trip. When some match, their filters are checked against the records (one statement per filtered
 * subscription, all pipelined), a delivery row is inserted for each event and subscription, and
 * `{deliveryId, orgId}` goes to crm-webhooks; all before the write answers.
 */

/** What crm-webhooks carries: the delivery, and its org (every statement names it). */
export interface WebhookMessage {
  deliveryId: string;
  orgId: string;
}

/** The body of a delivery (Standard Webhooks' recommended shape). */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface NewDelivery {
  subscriptionId: string;
  payload: WebhookPayload;
}

/** An active subscription an event may go to (found by src/resources/change-sink.ts). */
export interface Subscriber {
  id: string;
  events: string[];
  filter: unknown;
}

/** Queues a delivery of each event to each subscriber that names it and whose filter matches its record. */
export async function queueDeliveries(c: Context<AppContext>, subscribers: readonly Subscriber[], events: readonly ChangeEvent[]): Promise<void> {
  const deliveries = await deliveriesFor(listContext(c), subscribers, events);
  await enqueueDeliveries(c.var.services.db, c.env.WEBHOOK_QUEUE, c.var.auth.orgId, deliveries);
}

/** Each event that a subscriber names and whose record its filter matches, once per subscriber. */
async function deliveriesFor(ctx: ListContext, subscribers: readonly Subscriber[], events: readonly ChangeEvent[]): Promise<NewDelivery[]> {
  const timestamp = new Date().toISOString();
  const perSubscriber = await Promise.all(
    subscribers.map(async (s) => {
      const wanted = events.filter((e) => s.events.includes(e.type));
      if (s.filter == null || !wanted.length) return wanted.map((e) => ({ subscriptionId: s.id, payload: payloadOf(e, timestamp) }));
      // A filter's events are all of one object (checked when it was stored). A record deleted
      // for good can no longer be matched: filtered subscriptions do not hear of it.
      const ids = [...new Set(wanted.filter((e) => !e.gone).map((e) => e.id))];
      const matched = await matchingIds(ctx, wanted[0].resource, s.filter, ids);
      return wanted.filter((e) => matched.has(e.id)).map((e) => ({ subscriptionId: s.id, payload: payloadOf(e, timestamp) }));
    }),
  );
  return perSubscriber.flat();
}

function payloadOf(e: ChangeEvent, timestamp: string): WebhookPayload {
  return { type: e.type, timestamp, data: { object: e.object, id: e.id, changes: e.changes } };
}

/** In-list length per statement (the dialect's `in` takes at most 500 values). */
const IDS_PER_STATEMENT = 500;

/**
 * The records among `ids` that the filter matches, through the query compiler: the filter AND
 * `id in (ids)`, trash included (a `deleted` event's record is in it), with the tenant predicate
 * as every list has it. No sharing: subscriptions are an admin's, and an admin reads the org.
 */
export async function matchingIds(ctx: ListContext, resourceName: string, filter: unknown, ids: readonly string[]): Promise<Set<string>> {
  const resource = RESOURCES[resourceName];
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) chunks.push(ids.slice(i, i + IDS_PER_STATEMENT));
  const found = await Promise.all(
    chunks.map(async (chunk) => {
      const req = parseQueryBody({ where: filter, select: 'id', limit: chunk.length, deleted: 'include' });
      const byId: Condition = { kind: 'cond', field: 'id', op: 'in', value: chunk };
      const { rows } = await listRows(ctx, resource, { ...req, where: [...req.where, byId] });
      return rows.map((r) => String(r.id));
    }),
  );
  return new Set(found.flat());
}

/** Messages per Queue.sendBatch (its limit). */
const MESSAGES_PER_BATCH = 100;

/**
 * Inserts the deliveries (one statement) and queues one message for each. Ids are made here, so
 * the messages need nothing back from the insert; `webhook-id` is `msg_` and the id's hex.
 */
export async function enqueueDeliveries(db: Db, queue: Queue, orgId: string, deliveries: readonly NewDelivery[]): Promise<string[]> {
  if (!deliveries.length) return [];
  const ids = deliveries.map(() => crypto.randomUUID());
  await db.query(
    `insert into webhook_deliveries (id, org_id, subscription_id, event_type, payload, webhook_id)
     select d.id, $1, d.subscription_id, d.payload->>'type', d.payload, 'msg_' || replace(d.id::text, '-', '')
     from unnest($2::uuid[], $3::uuid[], $4::jsonb[]) as d(id, subscription_id, payload)`,
    [orgId, ids, deliveries.map((d) => d.subscriptionId), deliveries.map((d) => JSON.stringify(d.payload))],
  );
  for (let i = 0; i < ids.length; i += MESSAGES_PER_BATCH) {
    const messages = ids.slice(i, i + MESSAGES_PER_BATCH).map((deliveryId) => ({ body: { deliveryId, orgId } satisfies WebhookMessage }));
    await queue.sendBatch(messages);
  }
  return ids;
}
