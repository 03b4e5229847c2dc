import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { unseal } from '../../src/core/seal';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import { consumeWebhooks, DISABLE_AFTER, WEBHOOK_MAX_RETRIES } from '../../src/resources/webhooks/consumer';
import type { WebhookMessage } from '../../src/resources/webhooks/fanout';
import { secretBinding } from '../../src/resources/webhooks/subscriptions';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { answerWith, received, receivedAtLeast, receiverPath } from '../support/receiver';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Change webhooks (issue 25 §3, decision 0047): committed writes become signed deliveries on the
// crm-webhooks queue, verified here by the standardwebhooks library at a real HTTP receiver
// (test/global-setup.ts). End to end through the Worker's own queue where the queue's timing
// allows; retries and failures by running the consumer on batches the test makes.

const appEnv = env as unknown as AppEnv;

interface Hook {
  id: string;
  secret: string;
  path: string;
}

async function subscribe(token: string, body: Record<string, unknown>): Promise<Hook> {
  const { path, url } = receiverPath();
  const res = await send('POST', '/v1/webhooks', { token, body: { url, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.data.id, secret: res.body.data.secret, path };
}

const deliveriesOf = (subscriptionId: string) =>
  sql(
    `select id, event_type, status, attempts, last_response_status, last_error, payload, webhook_id,
       extract(epoch from next_attempt_at - updated_at)::int as retry_in from webhook_deliveries where subscription_id = $1 order by created_at, id`,
    [subscriptionId],
  );

/** Deliveries of a subscription once none is pending (the queue's own consumer ran them). */
async function settledDeliveries(subscriptionId: string, count: number) {
  for (let i = 0; i < 300; i++) {
    const rows = await deliveriesOf(subscriptionId);
    if (rows.length >= count && rows.every((r) => r.status !== 'pending')) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`deliveries of ${subscriptionId} did not settle`);
}

/** Runs the consumer on messages as the queue would, at the given attempt, and says how each settled. */
async function consume(messages: WebhookMessage[], attempts = 1) {
  const batch = createMessageBatch<WebhookMessage>(
    'crm-webhooks',
    messages.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await consumeWebhooks(batch, appEnv);
  return getQueueResult(batch, ctx);
}

/** A delivery row the queue never carries (so only the test's own consumer runs it). */
async function unqueuedDelivery(orgId: string, subscriptionId: string, type = 'contact.created'): Promise<WebhookMessage> {
  const id = crypto.randomUUID();
  await sql(
    `insert into webhook_deliveries (id, org_id, subscription_id, event_type, payload, webhook_id) values ($1::uuid, $2, $3, $4, $5::jsonb, 'msg_' || replace($1::uuid::text, '-', ''))`,
    [id, orgId, subscriptionId, type, JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id: crypto.randomUUID() } })],
  );
  return { deliveryId: id, orgId };
}

describe('change webhooks', () => {
  let org: TestOrg;
  let admin: string;

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('a write to a subscribed resource makes exactly one delivery, which verifies with standardwebhooks; a replay outside the window is refused', async () => {
    const hook = await subscribe(admin, { events: ['contact.created'] });
    const created = await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Ada', last_name: 'Lovelace' } });
    expect(created.status).toBe(201);
    const contactId = created.body.data.id;
    // Recorded before the write answered.
    const queued = await deliveriesOf(hook.id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ event_type: 'contact.created' });

    const [delivery] = await settledDeliveries(hook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_response_status: 200 });
    const [request] = await receivedAtLeast(hook.path, 1);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(delivery.webhook_id);
    const payload = new Webhook(hook.secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, any> };
    expect(payload).toMatchObject({ type: 'contact.created', data: { object: 'contact', id: contactId } });
    expect(payload.data.changes.first_name).toEqual({ to: 'Ada' });
    expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);
    // Someone else's secret, or a changed body, does not verify.
    expect(() => new Webhook(`whsec_${btoa('another secret of 32 bytes......')}`).verify(request.body, request.headers)).toThrow();
    expect(() => new Webhook(hook.secret).verify(request.body.replace('Ada', 'Eve'), request.headers)).toThrow();

    // The same request replayed six minutes later is outside the library's five-minute window.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Number(request.headers['webhook-timestamp']) * 1000 + 6 * 60_000);
    expect(() => new Webhook(hook.secret).verify(request.body, request.headers)).toThrow(/timestamp too old/);
    vi.useRealTimers();

    // A redelivered message of a succeeded delivery does nothing.
    const result = await consume([{ deliveryId: delivery.id, orgId: org.id }], 2);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await received(hook.path)).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: 'succeeded', attempts: 1 });

    // Not subscribed to updates: a PATCH makes no delivery.
    expect((await send('PATCH', `/v1/contacts/${contactId}`, { token: admin, body: { first_name: 'Augusta' } })).status).toBe(200);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });

  it('the signing secret is stored sealed, bound to its row; a plaintext one from before sealing still signs and the cron seals it', async () => {
    const hook = await subscribe(admin, { events: ['contact.created'] });
    const key = hook.secret.slice('whsec_'.length);
    const [{ secret: stored }] = await sql<{ secret: string }>(`select secret from webhook_subscriptions where id = $1`, [hook.id]);
    expect(stored).toMatch(/^sealed:v1:/);
    expect(stored).not.toContain(key);
    // Sealed for its own row: another subscription's row cannot use it.
    const other = await subscribe(admin, { events: ['contact.created'] });
    await expect(unseal(appEnv.SECRETS_KEY, stored, secretBinding(org.id, other.id))).rejects.toThrow();
    expect(await unseal(appEnv.SECRETS_KEY, stored, secretBinding(org.id, hook.id))).toBe(hook.secret);
    await sql(`delete from webhook_subscriptions where id = $1`, [other.id]);

    // A row written before sealing existed holds the secret itself: deliveries still sign with it.
    await sql(`update webhook_subscriptions set secret = $2 where id = $1`, [hook.id, hook.secret]);
    const message = await unqueuedDelivery(org.id, hook.id);
    expect((await consume([message])).explicitAcks).toHaveLength(1);
    const [first] = await receivedAtLeast(hook.path, 1);
    expect(() => new Webhook(hook.secret).verify(first.body, first.headers)).not.toThrow();
    // The */15 cron seals it; the next delivery verifies with the same secret.
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *', scheduledTime: Date.now() }), appEnv);
    const [{ secret: resealed }] = await sql<{ secret: string }>(`select secret from webhook_subscriptions where id = $1`, [hook.id]);
    expect(resealed).toMatch(/^sealed:v1:/);
    expect((await consume([await unqueuedDelivery(org.id, hook.id)])).explicitAcks).toHaveLength(1);
    const requests = await receivedAtLeast(hook.path, 2);
    expect(() => new Webhook(hook.secret).verify(requests[1].body, requests[1].headers)).not.toThrow();
    // Nothing left in plaintext anywhere.
    expect(await sql(`select id from webhook_subscriptions where secret not like 'sealed:%'`)).toEqual([]);
  });

  it('updated, deleted and restored events carry the changed fields; a filter that does not match makes none', async () => {
    const all = await subscribe(admin, { events: ['company.updated', 'company.deleted', 'company.restored'] });
    const filtered = await subscribe(admin, { events: ['company.updated'], filter: { field: 'industry', operator: 'equals', value: 'Shipping' } });
    const a = (await send('POST', '/v1/companies', { token: admin, body: { name: 'A Ltd', industry: 'Shipping' } })).body.data.id;
    const b = (await send('POST', '/v1/companies', { token: admin, body: { name: 'B Ltd', industry: 'Retail' } })).body.data.id;
    await send('POST', '/v1/companies/batch', {
      token: admin,
      body: {
        records: [
          { id: a, name: 'A Shipping Ltd' },
          { id: b, name: 'B Retail Ltd' },
        ],
      },
    });
    await send('DELETE', `/v1/companies/${b}`, { token: admin });
    await send('POST', `/v1/companies/${b}/restore`, { token: admin });

    const rows = await deliveriesOf(all.id);
    expect(rows.map((r) => `${r.event_type} ${r.payload.data.id === a ? 'a' : 'b'}`).sort()).toEqual([
      'company.deleted b',
      'company.restored b',
      'company.updated a',
      'company.updated b',
    ]);
    const update = rows.find((r) => r.event_type === 'company.updated' && r.payload.data.id === a);
    expect(update?.payload.data.changes).toEqual({ name: { from: 'A Ltd', to: 'A Shipping Ltd' } });
    // Only A is in Shipping.
    const only = await deliveriesOf(filtered.id);
    expect(only.map((r) => r.payload.data.id)).toEqual([a]);
    await settledDeliveries(all.id, 4);
    await receivedAtLeast(all.path, 4);
    await receivedAtLeast(filtered.path, 1);
    expect(await received(filtered.path)).toHaveLength(1);
  });

  it('deal.stage_changed is sent when a deal moves to another stage, beside deal.updated', async () => {
    const hook = await subscribe(admin, { events: ['deal.stage_changed'] });
    const pipeline = (await send('POST', '/v1/pipelines', { token: admin, body: { name: 'Hooks', is_default: true } })).body.data.id;
    const stage = async (name: string, position: number) =>
      (await send('POST', '/v1/stages', { token: admin, body: { pipeline_id: pipeline, name, position } })).body.data.id as string;
    const [first, second] = [await stage('First', 1), await stage('Second', 2)];
    const deal = (await send('POST', '/v1/deals', { token: admin, body: { name: 'Big one', pipeline_id: pipeline, stage_id: first } })).body.data.id;
    expect((await send('PATCH', `/v1/deals/${deal}`, { token: admin, body: { name: 'Bigger one' } })).status).toBe(200);
    expect(await deliveriesOf(hook.id)).toHaveLength(0);
    expect((await send('PATCH', `/v1/deals/${deal}`, { token: admin, body: { stage_id: second } })).status).toBe(200);
    const rows = await deliveriesOf(hook.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toMatchObject({
      type: 'deal.stage_changed',
      data: { object: 'deal', id: deal, changes: { stage_id: { from: first, to: second } } },
    });
  });

  it('a receiver answering 500 gets retries with backoff, then the delivery is failed', async () => {
    const hook = await subscribe(admin, { events: ['contact.created'] });
    await answerWith(hook.path, 500);
    const message = await unqueuedDelivery(org.id, hook.id);
    // The queue is asked to retry with backoff (the plugin's getQueueResult does not report the
    // delay; the delivery row records when the next attempt is due).
    const first = await consume([message], 1);
    expect(first.retryMessages).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_response_status: 500, last_error: 'HTTP 500', retry_in: 5 });
    const second = await consume([message], 2);
    expect(second.retryMessages).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: 'pending', attempts: 2, retry_in: 10 });
    const last = await consume([message], WEBHOOK_MAX_RETRIES + 1);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: 'failed', attempts: 3, last_response_status: 500, retry_in: null });
    const requests = await received(hook.path);
    expect(requests).toHaveLength(3);
    // Every attempt carries the same webhook-id, signed anew.
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [sub] = await sql(`select consecutive_failures, active from webhook_subscriptions where id = $1`, [hook.id]);
    expect(sub).toEqual({ consecutive_failures: 1, active: true });
  });

  it(`${DISABLE_AFTER} deliveries failed in a row disable the subscription; PATCH active: true turns it on again`, async () => {
    const hook = await subscribe(admin, { events: ['lead.created'] });
    await answerWith(hook.path, 503);
    const messages = [];
    for (let i = 0; i < DISABLE_AFTER; i++) messages.push(await unqueuedDelivery(org.id, hook.id, 'lead.created'));
    // One success in between resets the count.
    await answerWith(hook.path, 200);
    await consume([messages[0]], WEBHOOK_MAX_RETRIES + 1);
    await answerWith(hook.path, 503);
    await consume([await unqueuedDelivery(org.id, hook.id, 'lead.created')], WEBHOOK_MAX_RETRIES + 1);
    let [sub] = await sql(`select consecutive_failures, active, disabled_at from webhook_subscriptions where id = $1`, [hook.id]);
    expect(sub).toMatchObject({ consecutive_failures: 1, active: true, disabled_at: null });
    await consume(messages.slice(1), WEBHOOK_MAX_RETRIES + 1);
    [sub] = await sql(`select consecutive_failures, active, disabled_at from webhook_subscriptions where id = $1`, [hook.id]);
    expect(sub).toMatchObject({ consecutive_failures: DISABLE_AFTER, active: false });
    expect(sub.disabled_at).not.toBeNull();
    const shown = (await get(`/v1/webhooks/${hook.id}`, { token: admin })).body.data;
    expect(shown).toMatchObject({ active: false, consecutiveFailures: DISABLE_AFTER });

    // Disabled: writes make no deliveries.
    const before = (await deliveriesOf(hook.id)).length;
    expect((await send('POST', '/v1/leads', { token: admin, body: { first_name: 'Quiet', last_name: 'Lead' } })).status).toBe(201);
    expect(await deliveriesOf(hook.id)).toHaveLength(before);

    const on = await send('PATCH', `/v1/webhooks/${hook.id}`, { token: admin, body: { active: true } });
    expect(on.body.data).toMatchObject({ active: true, consecutiveFailures: 0, disabledAt: null });
  });

  it('POST /v1/webhooks/{id}/test sends a signed webhook.test delivery, listed in its deliveries', async () => {
    const hook = await subscribe(admin, { events: ['activity.created'] });
    const res = await send('POST', `/v1/webhooks/${hook.id}/test`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.data).toMatchObject({ eventType: 'webhook.test', status: 'pending', attempts: 0 });
    const [request] = await receivedAtLeast(hook.path, 1);
    expect(new Webhook(hook.secret).verify(request.body, request.headers)).toMatchObject({ type: 'webhook.test', data: { webhook: hook.id } });
    await settledDeliveries(hook.id, 1);
    const list = await get(`/v1/webhooks/${hook.id}/deliveries`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: res.body.data.id, eventType: 'webhook.test', status: 'succeeded', attempts: 1, lastResponseStatus: 200 }),
    ]);
    const failed = await get(`/v1/webhooks/${hook.id}/deliveries?status=failed`, { token: admin });
    expect(failed.body.data).toEqual([]);
  });

  it("another org's writes never trigger a subscription", async () => {
    const hook = await subscribe(admin, { events: ['contact.created'] });
    const other = await createOrg();
    const theirs = await tokenFor(other.users.admin);
    expect((await send('POST', '/v1/contacts', { token: theirs, body: { first_name: 'Not', last_name: 'Yours' } })).status).toBe(201);
    expect(await deliveriesOf(hook.id)).toHaveLength(0);
    const [{ n }] = await sql(`select count(*)::int as n from webhook_deliveries where org_id = $1`, [other.id]);
    expect(n).toBe(0);
  });
});
