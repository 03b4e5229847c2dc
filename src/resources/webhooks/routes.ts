import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { WEBHOOK_DELIVERY_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import { requireAuth } from '../../http/auth';
import { jsonBody } from '../../http/body';
import type { AppContext } from '../../http/context';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { EVENT_TYPES } from '../../write/events';
import { enqueueDeliveries } from './fanout';
import {
  checkFilter,
  checkUrl,
  deleteSubscription,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  newSecret,
  type Subscription,
  updateSubscription,
} from './subscriptions';

/**
 * /v1/webhooks: the org's change-webhook subscriptions (issue 25, decision 0047), admins only.
 * The signing secret is answered once, by the POST that creates it.
 */

const tags = ['webhooks'];
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const adminsOnly: MiddlewareHandler<AppContext> = async (c, next) => {
  if (c.var.auth.role !== 'admin') throw new AppError('forbidden', 'Only admins manage webhooks.');
  await next();
};

const EventType = z.enum(EVENT_TYPES as [string, ...string[]]);
const Filter = z
  .record(z.string(), z.unknown())
  .nullable()
  .openapi({
    description:
      'Only records matching this where tree (the JSON dialect of `POST /v1/{resource}/query`: `{field, operator, value}`, `{and: […]}`, `{or: […]}`, `{not: …}`) are delivered; every event must then be about one object.',
    example: { field: 'status', operator: 'equals', value: 'open' },
  });
const Fields = {
  url: z.string().max(2048).openapi({ description: 'https URL that receives the POSTs', example: 'https://example.com/hooks/crm' }),
  events: z
    .array(EventType)
    .min(1)
    .max(EVENT_TYPES.length)
    .openapi({ description: `Event types: ${EVENT_TYPES.join(', ')}` }),
  filter: Filter,
  active: z.boolean(),
};
const WebhookCreate = z
  .strictObject({ url: Fields.url, events: Fields.events, filter: Fields.filter.optional(), active: Fields.active.default(true) })
  .openapi('WebhookCreate');
const WebhookUpdate = z
  .strictObject({ url: Fields.url.optional(), events: Fields.events.optional(), filter: Fields.filter.optional(), active: Fields.active.optional() })
  .openapi('WebhookUpdate');

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    filter: z.record(z.string(), z.unknown()).nullable(),
    active: z.boolean(),
    consecutiveFailures: z.number().int().openapi({ description: 'Deliveries failed in a row; at 10 the webhook is disabled.' }),
    disabledAt: z.string().nullable().openapi({ description: 'When failures disabled it (PATCH active: true turns it on again).' }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Webhook');
const CreatedWebhook = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'The `whsec_…` signing secret. Shown this once: store it.' }),
}).openapi('CreatedWebhook');

const DeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string().openapi({ description: 'The `webhook-id` header, the same on every attempt.' }),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookDelivery');

const IdParam = z.object({ id: z.guid().openapi({ description: 'Webhook id' }) });
const DeliveriesQuery = z.strictObject({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: 'Newest first, at most 100.' }),
});

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function render(s: Subscription): z.infer<typeof WebhookSchema> {
  return { ...s, disabledAt: iso(s.disabledAt), createdAt: iso(s.createdAt) as string, updatedAt: iso(s.updatedAt) as string };
}

const changeResponses = { ...errorResponses, 403: problem('Only admins manage webhooks'), 415: problem('The body is not JSON') } as const;

export const webhookRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      tags,
      summary: 'Subscribe a URL to change events',
      description:
        'Committed writes of the events named (and, with a filter, of matching records) are POSTed to `url`, signed per Standard Webhooks with the secret answered here, once.',
      middleware: [requireAuth(), adminsOnly, jsonBody()] as const,
      request: { body: json(WebhookCreate) },
      responses: {
        201: ok('The webhook, with its secret; Location header', z.object({ data: CreatedWebhook })),
        ...changeResponses,
        422: problem('The org has the most webhooks it may (`rule: max_webhooks`)'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const url = checkUrl(body.url, c.var.services.vars.WEBHOOK_ALLOW_LOOPBACK);
      checkFilter(body.filter, body.events);
      const secret = newSecret();
      const events = [...new Set(body.events)];
      const created = await insertSubscription(
        c.var.services.db,
        c.var.auth,
        { url, events, filter: body.filter ?? null, active: body.active },
        secret,
        c.var.services.vars.SECRETS_KEY,
      );
      c.header('Location', `/v1/webhooks/${created.id}`);
      return c.json({ data: { ...render(created), secret } }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      tags,
      summary: 'The org’s webhooks',
      middleware: [requireAuth(), adminsOnly] as const,
      responses: { 200: ok('Newest first (the secret is never shown again)', z.object({ data: z.array(WebhookSchema) })), ...changeResponses },
    }),
    async (c) => c.json({ data: (await listSubscriptions(c.var.services.db, c.var.auth.orgId)).map(render) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}',
      tags,
      summary: 'One webhook',
      middleware: [requireAuth(), adminsOnly] as const,
      request: { params: IdParam },
      responses: { 200: ok('The webhook', z.object({ data: WebhookSchema })), ...changeResponses },
    }),
    async (c) => c.json({ data: render(await getSubscription(c.var.services.db, c.var.auth.orgId, c.req.valid('param').id)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/webhooks/{id}',
      tags,
      summary: 'Change a webhook’s url, events, filter or active',
      description: '`active: true` turns a webhook disabled by failures on again and clears its failure count. `filter: null` removes the filter.',
      middleware: [requireAuth(), adminsOnly, jsonBody()] as const,
      request: { params: IdParam, body: json(WebhookUpdate) },
      responses: { 200: ok('The webhook', z.object({ data: WebhookSchema })), ...changeResponses },
    }),
    async (c) => {
      const { db, vars } = c.var.services;
      const { orgId } = c.var.auth;
      const body = c.req.valid('json');
      const current = await getSubscription(db, orgId, c.req.valid('param').id);
      const merged = {
        url: body.url === undefined ? current.url : checkUrl(body.url, vars.WEBHOOK_ALLOW_LOOPBACK),
        events: body.events === undefined ? current.events : [...new Set(body.events)],
        filter: body.filter === undefined ? current.filter : body.filter,
        active: body.active ?? current.active,
      };
      checkFilter(merged.filter, merged.events);
      return c.json({ data: render(await updateSubscription(db, orgId, current.id, merged)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      tags,
      summary: 'Delete a webhook and its deliveries',
      middleware: [requireAuth(), adminsOnly] as const,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...changeResponses },
    }),
    async (c) => {
      await deleteSubscription(c.var.services.db, c.var.auth.orgId, c.req.valid('param').id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{id}/test',
      tags,
      summary: 'Send a test delivery',
      description:
        'Queues a `webhook.test` event to the webhook, signed like any other (also when the webhook is inactive); follow it in `GET /v1/webhooks/{id}/deliveries`. It does not count toward disabling.',
      middleware: [requireAuth(), adminsOnly] as const,
      request: { params: IdParam },
      responses: { 202: ok('The delivery, queued', z.object({ data: DeliverySchema })), ...changeResponses },
    }),
    async (c) => {
      const { db } = c.var.services;
      const { orgId } = c.var.auth;
      const s = await getSubscription(db, orgId, c.req.valid('param').id);
      const payload = { type: 'webhook.test', timestamp: new Date().toISOString(), data: { webhook: s.id, message: 'A test delivery from the CRM.' } };
      const [id] = await enqueueDeliveries(db, c.env.WEBHOOK_QUEUE, orgId, [{ subscriptionId: s.id, payload }]);
      const [delivery] = await deliveries(db, orgId, s.id, { id });
      return c.json({ data: delivery }, 202);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      tags,
      summary: 'A webhook’s recent deliveries',
      middleware: [requireAuth(), adminsOnly] as const,
      request: { params: IdParam, query: DeliveriesQuery },
      responses: { 200: ok('Newest first', z.object({ data: z.array(DeliverySchema) })), ...changeResponses },
    }),
    async (c) => {
      const { db } = c.var.services;
      const { orgId } = c.var.auth;
      const s = await getSubscription(db, orgId, c.req.valid('param').id);
      return c.json({ data: await deliveries(db, orgId, s.id, c.req.valid('query')) }, 200);
    },
  );

type Delivery = z.infer<typeof DeliverySchema>;

async function deliveries(
  db: Db,
  orgId: string,
  subscriptionId: string,
  opts: { id?: string; status?: Delivery['status']; limit?: number },
): Promise<Delivery[]> {
  const { rows } = await db.query<Delivery>(
    `select id, webhook_id as "webhookId", event_type as "eventType", status, attempts, last_response_status as "lastResponseStatus",
       last_error as "lastError", next_attempt_at as "nextAttemptAt", payload, created_at as "createdAt", updated_at as "updatedAt"
     from webhook_deliveries where org_id = $1 and subscription_id = $2 and ($3::uuid is null or id = $3) and ($4::text is null or status = $4)
     order by created_at desc, id desc limit $5`,
    [orgId, subscriptionId, opts.id ?? null, opts.status ?? null, opts.limit ?? 1],
  );
  return rows.map((r) => ({ ...r, nextAttemptAt: iso(r.nextAttemptAt), createdAt: iso(r.createdAt) as string, updatedAt: iso(r.updatedAt) as string }));
}
