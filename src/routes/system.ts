import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requireAuth } from '../http/auth';
import type { AppContext } from '../http/context';
import { createRouter, errorResponses, problem } from '../http/openapi';

const DEEP = ['1', 'true'] as const;

const HealthQuery = z.object({
  deep: z.enum(DEEP).optional().openapi({ description: '`1` (or `true`): also run `select 1` on the database; needs a bearer token.' }),
});

const Health = z.object({
  status: z.literal('ok'),
  db: z
    .object({ ok: z.boolean(), ms: z.number(), driver: z.string() })
    .optional()
    .openapi({ description: 'Only with `deep=1`: Postgres answered `select 1`, in how many ms, through which driver.' }),
});

/** OpenAPI: no credentials, or a bearer token (for deep=1). */
const PUBLIC_OR_BEARER: Array<Record<string, string[]>> = [{}, { bearer: [] }];

const auth = requireAuth();
/** The shallow check is public; deep=1 goes through requireAuth first (so an anonymous caller never reaches the pool). */
const requireAuthWhenDeep: MiddlewareHandler<AppContext> = (c, next) =>
  (DEEP as readonly string[]).includes(c.req.query('deep') ?? '') ? auth(c, next) : next();

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness; with deep=1, database reachability',
  description:
    'Without parameters the Worker answers alone: no database work, no connection, no token (a load balancer may poll it freely). `deep=1` is an authenticated database check.',
  security: PUBLIC_OR_BEARER,
  middleware: [requireAuthWhenDeep] as const,
  request: { query: HealthQuery },
  responses: {
    200: { description: 'The Worker answers (and, with deep=1, so does Postgres)', content: { 'application/json': { schema: Health } } },
    400: errorResponses[400],
    401: problem('deep=1 without a valid token'),
    503: errorResponses[503],
  },
});

const emptyRoute = createRoute({
  method: 'get',
  path: '/empty',
  tags: ['system'],
  summary: 'Touches nothing: the edge floor the benchmark measures against',
  responses: { 200: { description: 'Always', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } } },
});

export const systemRoutes = createRouter()
  .openapi(healthRoute, async (c) => {
    if (!c.req.valid('query').deep) return c.json({ status: 'ok' as const }, 200);
    const { db } = c.var.services;
    // The statement's own time, not the caller's lookup before it.
    const before = db.stats.ms;
    await db.query('select 1');
    return c.json({ status: 'ok' as const, db: { ok: true, ms: Math.round((db.stats.ms - before) * 100) / 100, driver: db.driver } }, 200);
  })
  .openapi(emptyRoute, (c) => c.json({ ok: true as const }, 200));
