import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../core/errors';
import type { AppContext } from '../../http/context';
import { answerPrivately } from '../../http/headers';
import { createRouter, dataResponse, errorResponses } from '../../http/openapi';

/**
 * Internal views for other services (seed 001 §16, issue 26 §4), behind INTERNAL_TOKEN rather
 * than a user's token: an org's stats and its usage record, one statement each. The org named in
 * the path is the tenant predicate of every subselect.
 */

const enc = new TextEncoder();

/** `Authorization: Bearer <INTERNAL_TOKEN>`, compared in constant time; anything else is a 401. */
const requireInternal: MiddlewareHandler<AppContext> = async (c, next) => {
  answerPrivately(c);
  const sent = /^bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
  const [a, b] = [enc.encode(sent), enc.encode(c.var.services.vars.INTERNAL_TOKEN)];
  const same = a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
  if (!same) throw new AppError('unauthorized', 'Internal routes take the internal token.', undefined, { 'WWW-Authenticate': 'Bearer realm="crm-internal"' });
  await next();
};

const OrgStats = z
  .object({
    contacts: z.int(),
    companies: z.int(),
    deals: z.int(),
    dealsByStatus: z.record(z.string(), z.object({ count: z.int(), value: z.string() })),
    pipelineValue: z.string().openapi({ description: 'Σ value of open deals' }),
    leads: z.int(),
    activities: z.int(),
    openActivities: z.int(),
    users: z.int(),
  })
  .openapi('OrgStats');

const Usage = z.object({ day: z.string(), counts: z.record(z.string(), z.int()), recordedAt: z.string() }).openapi('OrgUsage');

const STATS_SQL = `select
    (select count(*) from contacts where org_id = $1 and deleted_at is null)::int as contacts,
    (select count(*) from companies where org_id = $1 and deleted_at is null)::int as companies,
    (select count(*) from deals where org_id = $1 and deleted_at is null)::int as deals,
    (select coalesce(jsonb_object_agg(status, jsonb_build_object('count', n, 'value', v)), '{}')
       from (select status, count(*)::int as n, sum(value)::text as v from deals where org_id = $1 and deleted_at is null group by status) s) as "dealsByStatus",
    (select coalesce(sum(value), 0)::text from deals where org_id = $1 and deleted_at is null and status = 'open') as "pipelineValue",
    (select count(*) from leads where org_id = $1 and deleted_at is null)::int as leads,
    (select count(*) from activities where org_id = $1)::int as activities,
    (select count(*) from activities where org_id = $1 and status in ('pending', 'in_progress'))::int as "openActivities",
    (select count(*) from users where org_id = $1 and is_active)::int as users
  from orgs where id = $1`;

/** The day's usage: the org's record counts, stored in rollups (kind 'usage', key the UTC day) by the same statement. */
const USAGE_SQL = `insert into rollups (org_id, kind, key, data, computed_at)
  select o.id, 'usage', to_char(now() at time zone 'UTC', 'YYYY-MM-DD'), jsonb_build_object(
      'contacts', (select count(*) from contacts where org_id = $1 and deleted_at is null),
      'companies', (select count(*) from companies where org_id = $1 and deleted_at is null),
      'deals', (select count(*) from deals where org_id = $1 and deleted_at is null),
      'activities', (select count(*) from activities where org_id = $1),
      'users', (select count(*) from users where org_id = $1 and is_active)), now()
  from orgs o where o.id = $1
  on conflict (org_id, kind, key) do update set data = excluded.data, computed_at = excluded.computed_at
  returning key as day, data as counts, computed_at as "recordedAt"`;

const OrgParam = z.object({ id: z.guid().openapi({ description: 'Org id' }) });

export const internalRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/internal/orgs/{id}/stats',
      tags: ['internal'],
      summary: 'An org’s record counts and deal totals, in one statement (internal token)',
      middleware: [requireInternal] as const,
      request: { params: OrgParam },
      responses: { 200: dataResponse(OrgStats, 'The stats'), ...errorResponses },
    }),
    async (c) => {
      const { rows } = await c.var.services.db.query<z.infer<typeof OrgStats>>(STATS_SQL, [c.req.valid('param').id.toLowerCase()]);
      if (!rows[0]) throw new AppError('not_found', 'No such org.');
      return c.json({ data: rows[0] }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/internal/orgs/{id}/usage',
      tags: ['internal'],
      summary: 'Records the org’s usage for today (counted and stored in one statement; internal token)',
      middleware: [requireInternal] as const,
      request: { params: OrgParam },
      responses: { 200: dataResponse(Usage, 'The day’s usage as recorded'), ...errorResponses },
    }),
    async (c) => {
      const { rows } = await c.var.services.db.query<{ day: string; counts: Record<string, number>; recordedAt: Date }>(USAGE_SQL, [
        c.req.valid('param').id.toLowerCase(),
      ]);
      if (!rows[0]) throw new AppError('not_found', 'No such org.');
      return c.json({ data: { ...rows[0], recordedAt: new Date(rows[0].recordedAt).toISOString() } }, 200);
    },
  );
