import { createRoute, z } from '@hono/zod-openapi';
import { DEAL_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import { createRouter, errorResponses } from '../../http/openapi';
import { Params } from '../../query/params';
import { underAccess } from '../access';
import { RESOURCES } from '../registry';
import { fromCube } from './deal-cube';
import { filteredRows, filtersOf, money, Totals } from './rows';

/**
 * Deal aggregates (DESIGN §5.6, decision 0050): each one statement over the rows a /v1/deals list
 * with the same filters would read (tenant, the caller's sharing grants, the filters, trash
 * excluded), aggregated in Postgres: no rows are pulled into the Worker to be summed.
 */

const DealStats = z
  .object({
    byStatus: z.array(Totals.extend({ status: z.enum(DEAL_STATUSES) })),
    total: Totals,
    averageValue: money.nullable().openapi({ description: 'Mean value of the deals with one; null when none has' }),
    winRate: z.number().nullable().openapi({ description: 'won ÷ (won + lost), 0–1; null when none is closed' }),
  })
  .openapi('DealStats');

const Forecast = z
  .object({ period: z.enum(['month', 'quarter']), periods: z.array(Totals.extend({ period: z.string().openapi({ description: 'YYYY-MM or YYYY-Qn' }) })) })
  .openapi('DealForecast');

const KanbanDeal = z.object({
  id: z.string(),
  name: z.string(),
  value: money.nullable(),
  probability: z.int().nullable(),
  status: z.enum(DEAL_STATUSES),
  expected_close_date: z.string().nullable(),
  owner_id: z.string().nullable(),
});
const Kanban = z
  .object({
    pipeline: z.object({ id: z.string(), name: z.string() }),
    stages: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        position: z.int(),
        count: z.int(),
        value: money,
        deals: z.array(KanbanDeal).openapi({ description: 'The stage’s most recently updated deals, at most `per_stage`' }),
        more: z.string().nullable().openapi({ description: 'When the stage has more: the /v1/deals list that pages through them' }),
      }),
    ),
  })
  .openapi('Kanban');

const FILTERS_DOC =
  'Any /v1/deals filter (`owner_id=eq.…`, `created_at=gte.…`, `or=(…)`): the aggregate covers exactly the deals that list would, under the caller’s access.';
const filterQuery = z.looseObject({});

type Row = { status: string | null; count: number; value: string; weighted: string; valued: number };

const AggregateMeta = z.object({
  source: z
    .enum(['live', 'rollup'])
    .openapi({ description: 'Summed from the deals now, or from the deal cube the 5-minute cron keeps (big orgs, filters on status, pipeline, stage, owner)' }),
  computedAt: z.string(),
  stale: z.boolean().openapi({ description: 'Deals changed since the cube was computed (it is recomputed within 5 minutes)' }),
});
const withMeta = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema: z.object({ data: schema, meta: AggregateMeta }) } },
});
const liveMeta = () => ({ source: 'live' as const, computedAt: new Date().toISOString(), stale: false });
const cubeMeta = (cube: { computedAt: string; stale: boolean }) => ({ source: 'rollup' as const, computedAt: cube.computedAt, stale: cube.stale });

/**
 * The kanban's one statement: the pipeline's stages (org $1), each with its totals (`totals`,
 * given the stage's SQL) and its first deals, the `perStage` most recently updated of the rows
 * `fromWhere` reads (the deals index by stage and recency serves each), in lateral subqueries.
 * Values are added to `p`.
 */
export function kanbanSql(totals: (stage: string) => string, fromWhere: string, p: Params, pipelineId: string, perStage: number): string {
  const [pipe, limit] = [p.add(pipelineId), p.add(perStage)];
  return `select p.name as pipeline, s.id, s.name, s.position, agg.count, agg.value, coalesce(first.deals, '[]'::json) as deals
     from pipelines p join pipeline_stages s on s.org_id = p.org_id and s.pipeline_id = p.id
     cross join lateral (${totals('s.id')}) agg
     cross join lateral (
       select json_agg(x order by x.updated_at desc, x.id desc) as deals from (
         select d.id, d.name, d.value::text as value, d.probability, d.status, d.expected_close_date::text as expected_close_date, d.owner_id, d.updated_at
         ${fromWhere} and d.stage_id = s.id order by d.updated_at desc, d.id desc limit ${limit}) x
     ) first
     where p.org_id = $1 and p.id = ${pipe} order by s.position, s.id`;
}

/**
 * Deal stats under a `created_at` range from the created-month cells (decision 0052): the
 * range's whole months summed from `deal_created_cells` (`where` over alias d), its partial first
 * and last months summed live from `live` (the list's FROM/WHERE with every filter and the
 * caller's access) as two index ranges of the deals' creation times. A range inside one or two
 * months has no whole month: it is all live, once. One statement, the same rows as summing every
 * deal.
 */
/** The stats' sums per status and in total, over rows `a` of (status, n, value, weighted, valued): cube cells, or cells and deals. */
const statusSums = (a: string, from: string) =>
  `select ${a}.status, coalesce(sum(${a}.n), 0)::int as count, coalesce(sum(${a}.value), 0)::text as value,
     coalesce(sum(${a}.weighted), 0)::numeric(18,2)::text as weighted, coalesce(sum(${a}.valued), 0)::int as valued
   ${from} group by grouping sets ((${a}.status), ()) order by ${a}.status nulls last`;

export function createdStatsSql(where: string, live: string, months: { lo: string; hi: string }): string {
  const edge = (bound: string) =>
    `select d.status, 1::bigint as n, d.value, d.value * coalesce(d.probability, 0) / 100.0 as weighted, 1::bigint as valued ${live} and ${bound}`;
  return `with m as (select ${months.lo} as lo, ${months.hi} as hi),
      e as (select lo::date as first_month, hi::date as end_month,
        (case when lo < hi then lo else 'infinity'::timestamp end) at time zone 'UTC' as live_before,
        (case when lo < hi then hi else 'infinity'::timestamp end) at time zone 'UTC' as live_from from m)
    ${statusSums(
      'x',
      `from (
      select d.status, d.n, d.value, d.weighted, d.valued from deal_created_cells d
        where ${where} and d.created_month >= (select first_month from e) and d.created_month < (select end_month from e)
      union all ${edge('d.created_at < (select live_before from e)')}
      union all ${edge('d.created_at >= (select live_from from e)')}
    ) x`,
    )}`;
}

export const dealAnalyticsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/deals/stats',
      tags: ['deals'],
      summary: 'Counts and sums by status, weighted value, average deal size, win rate',
      description: FILTERS_DOC,
      middleware: [requireAuth()] as const,
      request: { query: filterQuery },
      responses: { 200: withMeta(DealStats, 'The stats'), ...errorResponses },
    }),
    async (c) => {
      const req = filtersOf(c, []);
      // grouping sets: a row per status and the total (status null), in one statement.
      const cube = await fromCube<Row>(
        c,
        req,
        (where, p, grants, months) => {
          if (!months) return statusSums('d', `from deal_cells d where ${where}`);
          const { fromWhere, values } = filteredRows(c, RESOURCES.deals, req, grants);
          return createdStatsSql(where, p.adopt(fromWhere, values), months);
        },
        { created: true },
      );
      const rows =
        cube?.rows ??
        (
          await underAccess(c, (access) => {
            const { fromWhere, values } = filteredRows(c, RESOURCES.deals, req, access);
            return c.var.services.db.query<Row>(
              `select d.status, count(*)::int as count, coalesce(sum(d.value), 0)::text as value,
                 coalesce(sum(d.value * coalesce(d.probability, 0) / 100.0), 0)::numeric(18,2)::text as weighted,
                 count(d.value)::int as valued
               ${fromWhere} group by grouping sets ((d.status), ()) order by d.status nulls last`,
              values,
            );
          })
        ).rows;
      const total = rows.find((r) => r.status === null) ?? { count: 0, value: '0', weighted: '0', valued: 0 };
      const byStatus = rows.filter((r) => r.status !== null);
      const closed = (s: string) => byStatus.find((r) => r.status === s)?.count ?? 0;
      const decided = closed('won') + closed('lost');
      return c.json(
        {
          data: {
            byStatus: byStatus.map((r) => ({ status: r.status as (typeof DEAL_STATUSES)[number], count: r.count, value: r.value, weighted: r.weighted })),
            total: { count: total.count, value: total.value, weighted: total.weighted },
            averageValue: total.valued ? (Number(total.value) / total.valued).toFixed(2) : null,
            winRate: decided ? closed('won') / decided : null,
          },
          meta: cube ? cubeMeta(cube) : liveMeta(),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/deals/forecast',
      tags: ['deals'],
      summary: 'Expected close by month or quarter, weighted and unweighted',
      description: `${FILTERS_DOC} Deals without an expected close date are left out; add \`status=eq.open\` for the open pipeline.`,
      middleware: [requireAuth()] as const,
      request: { query: z.looseObject({ period: z.enum(['month', 'quarter']).optional().openapi({ description: 'month (default) or quarter' }) }) },
      responses: { 200: withMeta(Forecast, 'The forecast'), ...errorResponses },
    }),
    async (c) => {
      const period = c.req.valid('query').period ?? 'month';
      const req = filtersOf(c, ['period']);
      const label = (col: string) => (period === 'month' ? `to_char(date_trunc('month', ${col}), 'YYYY-MM')` : `to_char(${col}, 'YYYY-"Q"Q')`);
      type PeriodRow = Row & { period: string };
      const cube = await fromCube<PeriodRow>(
        c,
        req,
        (where) =>
          `select ${label('d.close_month')} as period, coalesce(sum(d.n), 0)::int as count, coalesce(sum(d.value), 0)::text as value,
             coalesce(sum(d.weighted), 0)::numeric(18,2)::text as weighted
           from deal_cells d where ${where} and d.close_month is not null group by 1 order by 1`,
      );
      const rows =
        cube?.rows ??
        (
          await underAccess(c, (access) => {
            const { fromWhere, values } = filteredRows(c, RESOURCES.deals, req, access);
            return c.var.services.db.query<PeriodRow>(
              `select ${label('d.expected_close_date')} as period, count(*)::int as count, coalesce(sum(d.value), 0)::text as value,
                 coalesce(sum(d.value * coalesce(d.probability, 0) / 100.0), 0)::numeric(18,2)::text as weighted
               ${fromWhere} and d.expected_close_date is not null group by 1 order by 1`,
              values,
            );
          })
        ).rows;
      return c.json(
        {
          data: { period, periods: rows.map(({ period: p, count, value, weighted }) => ({ period: p, count, value, weighted })) },
          meta: cube ? cubeMeta(cube) : liveMeta(),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/pipelines/{id}/kanban',
      tags: ['pipelines'],
      summary: 'Every stage with its count, value and first deals, in one statement',
      description: FILTERS_DOC,
      middleware: [requireAuth()] as const,
      request: {
        params: z.object({ id: z.guid() }),
        query: z.looseObject({ per_stage: z.string().optional().openapi({ description: 'Deals per stage, 1–100 (default 20)' }) }),
      },
      responses: { 200: withMeta(Kanban, 'The board'), ...errorResponses },
    }),
    async (c) => {
      const pipelineId = c.req.valid('param').id.toLowerCase();
      const raw = c.req.valid('query').per_stage ?? '20';
      const perStage = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(perStage >= 1 && perStage <= 100))
        throw new AppError('invalid_query', 'per_stage: a whole number from 1 to 100.', [{ path: 'per_stage', message: 'out of range' }]);
      const req = filtersOf(c, ['per_stage']);
      type StageRow = { pipeline: string; id: string; name: string; position: number; count: number; value: string; deals: z.infer<typeof KanbanDeal>[] };
      // One statement: the pipeline's stages (org $1), each with its count and value and its
      // first deals (the N most recently updated, through the recency index) in lateral
      // subqueries: the totals from the deal cube when it can answer, else over the same
      // filtered, access-checked rows as the deals.
      const cube = await fromCube<StageRow>(c, req, (where, p, grants) => {
        const { fromWhere, values } = filteredRows(c, RESOURCES.deals, req, grants);
        const rows = p.adopt(fromWhere, values);
        return kanbanSql(
          (stage) =>
            `select coalesce(sum(d.n), 0)::int as count, coalesce(sum(d.value), 0)::text as value from deal_cells d where ${where} and d.stage_id = ${stage}`,
          rows,
          p,
          pipelineId,
          perStage,
        );
      });
      const rows =
        cube?.rows ??
        (
          await underAccess(c, (access) => {
            const { fromWhere, values } = filteredRows(c, RESOURCES.deals, req, access);
            const p = new Params(c.var.auth.orgId);
            const adopted = p.adopt(fromWhere, values);
            const sql = kanbanSql(
              (stage) => `select count(*)::int as count, coalesce(sum(d.value), 0)::text as value ${adopted} and d.stage_id = ${stage}`,
              adopted,
              p,
              pipelineId,
              perStage,
            );
            return c.var.services.db.query<StageRow>(sql, p.values);
          })
        ).rows;
      if (!rows.length) {
        // No stage: the pipeline is another org's, missing, or has none yet.
        const [p] = (
          await c.var.services.db.query<{ name: string }>(`select name from pipelines where org_id = $1 and id = $2`, [c.var.auth.orgId, pipelineId])
        ).rows;
        if (!p) throw new AppError('not_found', 'No such pipeline.');
        return c.json({ data: { pipeline: { id: pipelineId, name: p.name }, stages: [] }, meta: cube ? cubeMeta(cube) : liveMeta() }, 200);
      }
      const filters = new URL(c.req.url).searchParams;
      filters.delete('per_stage');
      return c.json(
        {
          data: {
            pipeline: { id: pipelineId, name: rows[0].pipeline },
            stages: rows.map((s) => ({
              id: s.id,
              name: s.name,
              position: s.position,
              count: s.count,
              value: s.value,
              deals: s.deals.map(({ updated_at: _, ...d }: z.infer<typeof KanbanDeal> & { updated_at?: string }) => d),
              more: s.count > s.deals.length ? `/v1/deals?stage_id=eq.${s.id}&order=updated_at.desc${filters.size ? `&${filters}` : ''}` : null,
            })),
          },
          meta: cube ? cubeMeta(cube) : liveMeta(),
        },
        200,
      );
    },
  );
