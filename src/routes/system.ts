import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, errorResponses } from '../http/openapi';

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness and database reachability',
  responses: {
    200: {
      description: 'Postgres answers',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok'), db: z.object({ ok: z.boolean(), ms: z.number(), driver: z.string() }) }) } },
    },
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
    const { db } = c.var.services;
    await db.query('select 1');
    return c.json({ status: 'ok' as const, db: { ok: true, ms: Math.round(db.stats.ms * 100) / 100, driver: db.driver } }, 200);
  })
  .openapi(emptyRoute, (c) => c.json({ ok: true as const }, 200));
