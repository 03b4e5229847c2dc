import { Webhook } from 'standardwebhooks';
import { createDb, type Db } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import { createLogger, type Logger } from '../../http/logger';
import type { WebhookMessage } from './fanout';
import { openSecret } from './subscriptions';

/**
 * The crm-webhooks consumer (decision 0047): signs each delivery per Standard Webhooks and POSTs
 * it. A 2xx is success; anything else (a status, a timeout, a refused connection) is retried
 * with backoff until the queue's last attempt, which marks the delivery failed. A subscription
 * whose deliveries fail DISABLE_AFTER times in a row is disabled. A message whose delivery is no
 * longer pending (a redelivery after success) does nothing.
 */

/** wrangler.toml [[queues.consumers]] crm-webhooks max_retries: the attempt after the last retry is the last. */
export const WEBHOOK_MAX_RETRIES = 8;
/** Deliveries failed in a row (each after all its attempts) that disable a subscription. */
export const DISABLE_AFTER = 10;
/** A receiver has this long to answer. */
const TIMEOUT_MS = 10_000;
/** Delay before the n-th retry: 5, 10, 20 … seconds, at most an hour. */
export const webhookRetryDelay = (attempts: number) => Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));

export interface WebhookOptions {
  maxRetries?: number;
  disableAfter?: number;
}

interface Pending {
  id: string;
  subscriptionId: string;
  eventType: string;
  payload: unknown;
  webhookId: string;
  status: string;
  url: string;
  secret: string;
  active: boolean;
}

const DELIVERY_SQL = `select d.id, d.subscription_id as "subscriptionId", d.event_type as "eventType", d.payload, d.webhook_id as "webhookId", d.status,
  s.url, s.secret, s.active
  from webhook_deliveries d join webhook_subscriptions s on s.org_id = d.org_id and s.id = d.subscription_id
  where d.org_id = $1 and d.id = $2`;

/** One connection per batch; the batch's deliveries go out in parallel. */
export async function consumeWebhooks(batch: MessageBatch<WebhookMessage>, env: AppEnv, options: WebhookOptions = {}): Promise<void> {
  const vars = readVars(env);
  const log = createLogger(`webhooks:${batch.messages[0]?.id ?? ''}`, vars.LOG_LEVEL);
  const db = createDb(env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
  try {
    await Promise.all(batch.messages.map((m) => consumeOne(db, m, log, vars.SECRETS_KEY, options)));
  } finally {
    await db.close();
  }
}

async function consumeOne(db: Db, message: Message<WebhookMessage>, log: Logger, secretsKey: string, options: WebhookOptions): Promise<void> {
  const maxRetries = options.maxRetries ?? WEBHOOK_MAX_RETRIES;
  const last = message.attempts > maxRetries;
  const { orgId, deliveryId } = message.body;
  try {
    const d = (await db.query<Pending>(DELIVERY_SQL, [orgId, deliveryId])).rows[0];
    // Gone (its subscription deleted), or settled by an earlier delivery of this message.
    if (d?.status !== 'pending') return message.ack();
    const isTest = d.eventType === 'webhook.test';
    if (!d.active && !isTest) {
      await settle(db, orgId, deliveryId, { status: 'failed', error: 'subscription disabled' });
      return message.ack();
    }
    const outcome = await postSigned({ ...d, secret: await openSecret(secretsKey, orgId, d.subscriptionId, d.secret) });
    if (outcome.ok) {
      await settle(db, orgId, deliveryId, { status: 'succeeded', responseStatus: outcome.status });
      if (!isTest) await db.query(`update webhook_subscriptions set consecutive_failures = 0 where org_id = $1 and id = $2`, [orgId, d.subscriptionId]);
      return message.ack();
    }
    log('warn', 'webhook delivery failed', { deliveryId, attempts: message.attempts, status: outcome.status, error: outcome.error });
    if (!last) {
      const delaySeconds = webhookRetryDelay(message.attempts);
      await settle(db, orgId, deliveryId, { status: 'pending', responseStatus: outcome.status, error: outcome.error, retryInSeconds: delaySeconds });
      return message.retry({ delaySeconds });
    }
    await settle(db, orgId, deliveryId, { status: 'failed', responseStatus: outcome.status, error: outcome.error });
    if (!isTest) await countFailure(db, orgId, d.subscriptionId, options.disableAfter ?? DISABLE_AFTER);
    message.ack();
  } catch (err) {
    // Our side failed (the database): the queue retries, and after its last attempt the message
    // goes to crm-webhooks-dlq with the delivery still pending.
    log('error', 'webhook consumer failed', { deliveryId, attempts: message.attempts, error: String(err) });
    message.retry({ delaySeconds: webhookRetryDelay(message.attempts) });
  }
}

export interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * The signed POST (Standard Webhooks): the body is serialised once and signed exactly as sent.
 * Also what a workflow's `http` step sends (src/resources/workflows/engine.ts).
 */
export async function postSigned(d: Pick<Pending, 'url' | 'secret' | 'webhookId' | 'payload'>): Promise<Outcome> {
  const body = JSON.stringify(d.payload);
  const now = new Date();
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'edge-crm-webhooks/1',
    'webhook-id': d.webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(d.secret).sign(d.webhookId, now, body),
  };
  try {
    const res = await fetch(d.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    // The receiver's body is not read, only released.
    await res.body?.cancel();
    return res.ok ? { ok: true, status: res.status, error: null } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError';
    return { ok: false, status: null, error: timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : String(err).slice(0, 300) };
  }
}

interface Settlement {
  status: 'pending' | 'succeeded' | 'failed';
  responseStatus?: number | null;
  error?: string | null;
  retryInSeconds?: number;
}

/** Records an attempt; only while the delivery is pending, so a late duplicate changes nothing settled. */
async function settle(db: Db, orgId: string, id: string, s: Settlement): Promise<void> {
  await db.query(
    `update webhook_deliveries set status = $3, attempts = attempts + 1, last_response_status = $4, last_error = $5,
       next_attempt_at = case when $6::int is null then null else now() + make_interval(secs => $6::int) end, updated_at = now()
     where org_id = $1 and id = $2 and status = 'pending'`,
    [orgId, id, s.status, s.responseStatus ?? null, s.error ?? null, s.retryInSeconds ?? null],
  );
}

/** One more delivery failed in a row; at `disableAfter` the subscription stops (active = false, disabled_at). */
async function countFailure(db: Db, orgId: string, subscriptionId: string, disableAfter: number): Promise<void> {
  await db.query(
    `update webhook_subscriptions set consecutive_failures = consecutive_failures + 1,
       active = active and consecutive_failures + 1 < $3,
       disabled_at = case when active and consecutive_failures + 1 >= $3 then now() else disabled_at end,
       updated_at = now()
     where org_id = $1 and id = $2`,
    [orgId, subscriptionId, disableAfter],
  );
}
