import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import { requireAuth } from '../../http/auth';
import { jsonBody } from '../../http/body';
import type { AppContext } from '../../http/context';
import { idempotency } from '../../http/idempotency';
import { createRouter, dataResponse, errorResponses } from '../../http/openapi';
import { planList } from '../../query/plan';
import { underAccess } from '../access';
import { CATALOG } from '../registry';
import { type CheckedReport, checkReport, foldSql, measureSql, partialSql, ReportDefinition } from './report-spec';
import { generationSql, underLock } from './rollups';
import { filteredRows } from './rows';
import { revalidate, rollupScope } from './scope';

/**
 * Reports (issue 26 §6, decision 0052). `POST /v1/reports/run` answers a definition live, in
 * one statement over the list compiler's FROM/WHERE under the caller's access. Saved reports
 * (`/v1/reports`) are materialized by the cron every 10 minutes at owner grain (report_cells:
 * the partial measures per owner and group) and as the org's totals (rollups); their result is
 * read from there like facets are, `computedAt` and `stale` saying how fresh, and recomputed
 * after the response once stale and older than the report's `maxAgeSeconds`.
 */

type ResultRow = Record<string, string | null>;
const Result = z
  .object({
    columns: z.array(z.string()).openapi({ description: 'Dimensions, then measures (`count`, `sum_value`, `month` buckets named `field_bucket`)' }),
    rows: z.array(z.record(z.string(), z.string().nullable())).openapi({ description: 'One per group, in dimension order; values as text (exact decimals)' }),
    truncated: z.boolean().openapi({ description: 'More groups than `limit`' }),
  })
  .openapi('ReportResult');
const ResultMeta = z.object({
  requestId: z.string(),
  source: z.enum(['live', 'rollup']),
  computedAt: z.string(),
  stale: z.boolean().openapi({ description: 'The data moved since the rollup was computed; it is recomputed when older than maxAgeSeconds' }),
});
const Report = z
  .object({
    id: z.string(),
    name: z.string(),
    definition: ReportDefinition,
    maxAgeSeconds: z.int(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Report');
const ReportBody = z
  .strictObject({ name: z.string().trim().min(1).max(200), definition: ReportDefinition, maxAgeSeconds: z.int().min(60).max(86_400).default(600) })
  .openapi('ReportBody');
const ReportPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    definition: ReportDefinition.optional(),
    maxAgeSeconds: z.int().min(60).max(86_400).optional(),
  })
  .openapi('ReportPatch');
const IdParam = z.object({ id: z.guid().openapi({ description: 'Report id' }) });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const withMeta = (description: string) => ({ description, content: { 'application/json': { schema: z.object({ data: Result, meta: ResultMeta }) } } });
const tags = ['reports'];

const columnsOf = (r: CheckedReport) => [...r.dimensions.map((d) => d.name), ...r.measures.map((m) => m.name)];

/** Rows of `d0…, m0…` as objects named by the report's columns; at most `limit`. */
function shape(r: CheckedReport, rows: Array<Record<string, string | null>>): z.infer<typeof Result> {
  const columns = columnsOf(r);
  const out = rows.slice(0, r.limit).map((row) => {
    const o: ResultRow = {};
    r.dimensions.forEach((d, i) => {
      o[d.name] = row[`d${i}`];
    });
    r.measures.forEach((m, i) => {
      o[m.name] = row[`m${i}`];
    });
    return o;
  });
  return { columns, rows: out, truncated: rows.length > r.limit };
}

const groupBy = (r: CheckedReport, first = 1) => (r.dimensions.length ? ` group by ${r.dimensions.map((_, i) => i + first).join(', ')}` : '');
const orderBy = (r: CheckedReport) => (r.dimensions.length ? ` order by ${r.dimensions.map((_, i) => `${i + 1} nulls first`).join(', ')}` : '');

/** The report over the rows the caller may read, one statement. */
async function runLive(c: Context<AppContext>, r: CheckedReport) {
  const { rows } = await underAccess(c, (access) => {
    const { fromWhere, values } = filteredRows(c, r.resource, r.req, access);
    const cols = [...r.dimensions.map((d, i) => `${d.sql} as d${i}`), ...r.measures.map((m, i) => `${measureSql(m)} as m${i}`)];
    return c.var.services.db.query<Record<string, string | null>>(
      `select ${cols.join(', ')} ${fromWhere}${groupBy(r)}${orderBy(r)} limit ${r.limit + 1}`,
      values,
    );
  });
  return { data: shape(r, rows), meta: { source: 'live' as const, computedAt: new Date().toISOString(), stale: false } };
}

/** The statement folding a report's cells (of some owners, or all) into its groups. */
function foldCells(r: CheckedReport, ownersParam?: number): string {
  const dims = r.dimensions.map((_, i) => `dims->>${i} as d${i}`);
  let at = 0;
  const measures = r.measures.map((m, i) => {
    const sql = `${foldSql(m, at)} as m${i}`;
    at += partialSql(m).length;
    return sql;
  });
  const owners = ownersParam ? ` and owner_id = any($${ownersParam}::uuid[])` : '';
  return `select ${[...dims, ...measures].join(', ')} from report_cells where org_id = $1 and report_id = $2::uuid${owners}${r.dimensions.length ? ' group by dims' : ''}${orderBy(r)}`;
}

interface ReportRollup {
  generation: number;
  computedAt: string;
  rows: Array<Record<string, string | null>>;
}

/**
 * Materializes one saved report: its cells at owner grain (every row of the org, the report's
 * filter applied, no one's access) and the org's totals. False when another run holds it, or
 * when the stored definition no longer passes (a field left the whitelist): nothing is kept then.
 */
export async function computeReportRollup(db: Db, orgId: string, reportId: string): Promise<boolean> {
  const [report] = (await db.query<{ definition: unknown }>(`select definition from reports where org_id = $1 and id = $2`, [orgId, reportId])).rows;
  if (!report) return false;
  let r: CheckedReport;
  let fromWhere: string;
  let values: unknown[];
  try {
    r = checkReport(ReportDefinition.parse(report.definition));
    const plan = planList({ catalog: CATALOG, resource: r.resource, req: { ...r.req, order: [], limit: 0 }, orgId });
    [fromWhere, values] = [plan.fromWhere, plan.filterValues];
  } catch {
    await db.query(`delete from report_cells where org_id = $1 and report_id = $2`, [orgId, reportId]);
    return false;
  }
  const a = r.resource.alias;
  return underLock(db, `rollup:report:${orgId}:${reportId}`, async () => {
    const [{ generation }] = (
      await db.query<{ generation: string }>(
        `select coalesce((select ${generationSql([r.resource.name])} from org_generations g where g.org_id = $1), 0)::text as generation`,
        [orgId],
      )
    ).rows;
    const partials = r.measures.flatMap(partialSql);
    const [org, id] = [values.length + 1, values.length + 2];
    db.query(`delete from report_cells where org_id = $1 and report_id = $2`, [orgId, reportId]).catch(() => {});
    await db.query(
      `insert into report_cells (org_id, report_id, owner_id, dims, measures)
       select $${org}::uuid, $${id}::uuid, ${a}.owner_id, jsonb_build_array(${r.dimensions.map((d) => d.sql).join(', ')}), jsonb_build_array(${partials.join(', ')})
       ${fromWhere} group by ${[`${a}.owner_id`, ...r.dimensions.map((d) => d.sql)].join(', ')}`,
      [...values, orgId, reportId],
    );
    const { rows } = await db.query<Record<string, string | null>>(`${foldCells(r)} limit ${r.limit + 1}`, [orgId, reportId]);
    await db.query(
      `insert into rollups (org_id, kind, key, data, computed_at) values ($1, 'report', $2, jsonb_build_object('generation', $3::bigint, 'computedAt', to_json(now()), 'rows', $4::jsonb), now())
       on conflict (org_id, kind, key) do update set data = excluded.data, computed_at = excluded.computed_at`,
      [orgId, reportId, generation, JSON.stringify(rows)],
    );
  });
}

/** The cron's report pass: saved reports whose resource moved since their rollup (or without one). */
export async function refreshReportRollups(db: Db, budgetMs = 10 * 60_000): Promise<{ computed: number; skipped: number; left: number }> {
  const started = Date.now();
  const { rows } = await db.query<{ org_id: string; id: string }>(
    `select r.org_id, r.id from reports r
     left join org_generations g on g.org_id = r.org_id
     left join rollups ru on ru.org_id = r.org_id and ru.kind = 'report' and ru.key = r.id::text
     where ru.org_id is null or ru.computed_at < r.updated_at
        or (ru.data->>'generation')::bigint < coalesce((g.changed->>(r.definition->>'resource'))::bigint, 0)
     order by r.org_id, r.id`,
  );
  let computed = 0;
  let skipped = 0;
  for (const [i, { org_id, id }] of rows.entries()) {
    if (Date.now() - started > budgetMs) return { computed, skipped, left: rows.length - i };
    if (await computeReportRollup(db, org_id, id)) computed++;
    else skipped++;
  }
  return { computed, skipped, left: 0 };
}

interface ReportRow {
  id: string;
  name: string;
  definition: ReportDefinition;
  maxAgeSeconds: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}
const REPORT_SQL = `select id, name, definition, max_age_seconds as "maxAgeSeconds", created_by as "createdBy", created_at as "createdAt", updated_at as "updatedAt" from reports`;
const iso = (d: unknown) => new Date(d as string).toISOString();
const render = (r: ReportRow): ReportRow => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) });

async function reportOf(c: Context<AppContext>, id: string): Promise<ReportRow> {
  const { rows } = await c.var.services.db.query<ReportRow>(`${REPORT_SQL} where org_id = $1 and id = $2`, [c.var.auth.orgId, id.toLowerCase()]);
  if (!rows[0]) throw new AppError('not_found', 'No such report.');
  return rows[0];
}

/** A saved report is changed or deleted by whoever made it, or an admin. */
function canChange(c: Context<AppContext>, r: ReportRow): void {
  if (c.var.auth.role !== 'admin' && r.createdBy !== c.var.auth.userId) throw new AppError('forbidden', 'Only its creator or an admin changes a report.');
}

/** A saved report's result: its rollup for this caller's scope, else live. */
async function savedResult(c: Context<AppContext>, report: ReportRow) {
  const r = checkReport(report.definition);
  const scope = await rollupScope(c, r.resource, [r.resource.name]);
  if (!scope) return runLive(c, r);
  const { orgId } = c.var.auth;
  let rows: Array<Record<string, string | null>>;
  let state: { generation: number; computedAt: string };
  if (scope.kind === 'all') {
    const [row] = (
      await c.var.services.db.query<{ data: ReportRollup }>(`select data from rollups where org_id = $1 and kind = 'report' and key = $2`, [orgId, report.id])
    ).rows;
    if (!row) return runLive(c, r);
    rows = row.data.rows;
    state = row.data;
  } else {
    const shared = scope.shared(4);
    // One statement: the rollup's state, whether manual shares widen the caller's access (then
    // nothing is folded: the live path answers), and the cells of the owners they read folded
    // into groups, each row carrying the state.
    const { rows: got } = await c.var.services.db.query<
      Record<string, string | null> & { __generation: string | null; __computed_at: string | null; __shared: boolean; __row: boolean | null }
    >(
      `with st as (select data->>'generation' as generation, data->>'computedAt' as computed_at from rollups where org_id = $1 and kind = 'report' and key = $2::text),
         sh as (select ${shared.sql} as shared)
       select (select generation from st) as __generation, (select computed_at from st) as __computed_at, (select shared from sh) as __shared, f.*
       from (select 1) one left join lateral (
         select true as __row, g.* from (${foldCells(r, 3)}) g where not (select shared from sh) and exists (select 1 from st) limit ${r.limit + 1}
       ) f on true`,
      [orgId, report.id, scope.owners, ...shared.values],
    );
    const head = got[0];
    if (!head || head.__shared || head.__generation === null || head.__computed_at === null) return runLive(c, r);
    rows = got.filter((g) => g.__row);
    state = { generation: Number(head.__generation), computedAt: head.__computed_at };
  }
  const stale = state.generation < scope.current;
  revalidate(c, `report:${orgId}:${report.id}`, { computedAt: state.computedAt, stale }, report.maxAgeSeconds * 1000, (db) =>
    computeReportRollup(db, orgId, report.id),
  );
  return { data: shape(r, rows), meta: { source: 'rollup' as const, computedAt: state.computedAt, stale } };
}

export const reportRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/reports/run',
      tags,
      summary: 'Run a report: measures grouped by dimensions over the rows a filter selects, under the caller’s access',
      middleware: [requireAuth(), jsonBody()] as const,
      request: { body: json(ReportDefinition) },
      responses: { 200: withMeta('The groups'), ...errorResponses },
    }),
    async (c) => {
      const answer = await runLive(c, checkReport(c.req.valid('json')));
      return c.json({ data: answer.data, meta: { requestId: c.var.requestId, ...answer.meta } }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/reports',
      tags,
      summary: 'Save a report (materialized by the cron every 10 minutes)',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { body: json(ReportBody) },
      responses: { 201: dataResponse(Report, 'The report'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      checkReport(body.definition);
      const { rows } = await c.var.services.db.query<{ id: string }>(
        `insert into reports (org_id, name, definition, max_age_seconds, created_by) values ($1, $2, $3::jsonb, $4, $5) returning id`,
        [c.var.auth.orgId, body.name, JSON.stringify(body.definition), body.maxAgeSeconds, c.var.auth.userId],
      );
      c.header('Location', `/v1/reports/${rows[0].id}`);
      return c.json({ data: render(await reportOf(c, rows[0].id)) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports',
      tags,
      summary: 'The org’s saved reports, newest first (at most 200)',
      middleware: [requireAuth()] as const,
      responses: { 200: { description: 'Reports', content: { 'application/json': { schema: z.object({ data: z.array(Report) }) } } }, ...errorResponses },
    }),
    async (c) => {
      const { rows } = await c.var.services.db.query<ReportRow>(`${REPORT_SQL} where org_id = $1 order by created_at desc, id desc limit 200`, [
        c.var.auth.orgId,
      ]);
      return c.json({ data: rows.map(render) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/{id}',
      tags,
      summary: 'A saved report',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 200: dataResponse(Report, 'The report'), ...errorResponses },
    }),
    async (c) => c.json({ data: render(await reportOf(c, c.req.valid('param').id)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/reports/{id}',
      tags,
      summary: 'Change a saved report (its creator or an admin)',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { params: IdParam, body: json(ReportPatch) },
      responses: { 200: dataResponse(Report, 'The report'), ...errorResponses },
    }),
    async (c) => {
      const current = await reportOf(c, c.req.valid('param').id);
      canChange(c, current);
      const patch = c.req.valid('json');
      if (patch.definition) checkReport(patch.definition);
      const next = { ...current, ...patch };
      await c.var.services.db.query(
        `update reports set name = $3, definition = $4::jsonb, max_age_seconds = $5, updated_at = now() where org_id = $1 and id = $2`,
        [c.var.auth.orgId, current.id, next.name, JSON.stringify(next.definition), next.maxAgeSeconds],
      );
      if (patch.definition) {
        // The old rollup answers another question: dropped, so the result is live until the cron runs.
        await c.var.services.db.query(`delete from rollups where org_id = $1 and kind = 'report' and key = $2`, [c.var.auth.orgId, current.id]);
      }
      return c.json({ data: render(await reportOf(c, current.id)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/reports/{id}',
      tags,
      summary: 'Delete a saved report and its rollups (its creator or an admin)',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const current = await reportOf(c, c.req.valid('param').id);
      canChange(c, current);
      await c.var.services.db.query(
        `with gone as (delete from reports where org_id = $1 and id = $2::uuid returning id) delete from rollups where org_id = $1 and kind = 'report' and key = $2::text`,
        [c.var.auth.orgId, current.id],
      );
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/{id}/result',
      tags,
      summary: 'A saved report’s result: from its rollup (computedAt, stale), summed over what the caller may see; live when no rollup can answer them',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 200: withMeta('The groups'), ...errorResponses },
    }),
    async (c) => {
      const answer = await savedResult(c, await reportOf(c, c.req.valid('param').id));
      return c.json({ data: answer.data, meta: { requestId: c.var.requestId, ...answer.meta } }, 200);
    },
  );
