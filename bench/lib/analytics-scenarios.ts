/**
 * The `facets` and `aggregates` scenarios (BENCH.md: "counts of status / lifecycle_stage /
 * country under a filter" and "pipeline stats, forecast, kanban (100k+ deals)"; issue 26). All
 * as the bench org's admin, on the largest org.
 *
 * - Rows labelled "rollup" are answered from what the cron keeps (facet rollups, a saved
 *   report's rollup): goals.ts judges them like lists, p50 ≤ 1.5 × (edge floor + db floor), the
 *   db floor being the statements that route sends when it reads the rollup from Postgres (the
 *   admin's facets come from Workers KV first: their floor is the Postgres fallback).
 * - The others are judged on p95 ≤ 50 ms: facets under a filter (live: every match counted, or
 *   a uniform sample of about 2,500, or of the matches among 10,000 rows read), and the deal aggregates, which the
 *   deal cube answers when the filters are on its dimensions (and live otherwise).
 *
 * `prepare` fires the rollup crons through the bench's `wrangler dev` (it runs with
 * --test-scheduled): only orgs whose data moved since their rollups are computed, so a run
 * after a run costs little. The saved report it creates is deleted by `finish`.
 */
import type { BaselineFactory, BenchContext, HttpRequest, Scenario, Variant } from './context';
import { FILTERS } from './filter-request';
import { nodeDb } from './node-db';

const FACET_FIELDS = 'fields=status,lifecycle_stage,country';
const REPORT_KEY = 'aggregates.report';
const PIPELINE_KEY = 'aggregates.pipeline';

const auth = (ctx: BenchContext) => ({ Authorization: `Bearer ${ctx.token}` });
const getPath =
  (path: (ctx: BenchContext) => string) =>
  (ctx: BenchContext): HttpRequest => ({ path: path(ctx), headers: auth(ctx) });

/** Fires a cron job in the bench's wrangler dev and waits for it (its handler runs to the end first). */
async function fireCron(ctx: BenchContext, cron: string): Promise<void> {
  const started = Date.now();
  const res = await fetch(`${ctx.baseUrl}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`);
  if (!res.ok) throw new Error(`cron ${cron}: ${res.status} ${await res.text()}`);
  ctx.log(`  cron ${cron} ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A floor of statements timed on the bench's own connection. */
const statements =
  (...build: Array<(ctx: BenchContext) => { text: string; values: unknown[] }>): BaselineFactory =>
  async (ctx) => {
    const built = build.map((b) => b(ctx));
    return async () => {
      const db = nodeDb(ctx.pg);
      for (const s of built) await db.query(s.text, s.values);
      return db.log.length;
    };
  };

const facetVariant = (label: string, filter: string, notes: string): Variant => ({
  label,
  request: getPath(() => `/v1/contacts/facets?${FACET_FIELDS}${filter ? `&${filter}` : ''}`),
  notes,
});

export const FACETS_SCENARIO: Scenario = {
  id: 'facets',
  auth: true,
  probe: `/v1/contacts/facets?fields=status`,
  prepare: (ctx) => fireCron(ctx, '*/5 * * * *'),
  variants: [
    {
      label: 'contacts, no filter, from the rollup (KV)',
      request: getPath(() => `/v1/contacts/facets?${FACET_FIELDS}`),
      floor: statements((ctx) => ({
        text: `select data from rollups where org_id = $1 and kind = 'facets' and key = $2`,
        values: [ctx.auth.orgId, 'contacts'],
      })),
      notes: 'the org totals the 5-minute cron keeps, read from Workers KV (the floor: the Postgres row read when KV misses)',
    },
    facetVariant('contacts, status=eq.active (live, sampled)', 'status=eq.active', '~1.2M matches: a uniform sample of ~2,500 by id range, scaled'),
    facetVariant('contacts, q=son (live, sampled)', 'q=son', 'faceted search: ~120k matches, sampled within the 10,000-row read budget'),
    facetVariant(
      'contacts, eq+ilike+range (live, sampled)',
      FILTERS,
      'the filter scenario’s three filters: ~100k matches, sampled within the 10,000-row read budget',
    ),
  ],
};

export const AGGREGATES_SCENARIO: Scenario = {
  id: 'aggregates',
  auth: true,
  probe: '/v1/deals/stats',
  prepare: async (ctx) => {
    const { rows } = await ctx.pg.query<{ pipeline_id: string; n: number }>(
      `select pipeline_id, count(*)::int as n from deals where org_id = $1 and deleted_at is null group by 1 order by 2 desc limit 1`,
      [ctx.auth.orgId],
    );
    if (!rows[0]) throw new Error(`org ${ctx.orgSlug} has no deals`);
    ctx.found.set(PIPELINE_KEY, rows[0].pipeline_id);
    const made = await fetch(`${ctx.baseUrl}/v1/reports`, {
      method: 'POST',
      headers: { ...auth(ctx), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'bench: open value by owner and month',
        definition: {
          resource: 'deals',
          measures: [{ fn: 'count' }, { fn: 'sum', field: 'value' }, { fn: 'avg', field: 'probability' }],
          dimensions: ['owner_id', { field: 'expected_close_date', bucket: 'month' }],
          where: { field: 'status', operator: 'equals', value: 'open' },
        },
      }),
    });
    if (made.status !== 201) throw new Error(`POST /v1/reports: ${made.status} ${await made.text()}`);
    ctx.found.set(REPORT_KEY, ((await made.json()) as { data: { id: string } }).data.id);
    await fireCron(ctx, '*/5 * * * *');
    await fireCron(ctx, '*/10 * * * *');
  },
  finish: async (ctx) => {
    const id = ctx.found.get(REPORT_KEY);
    if (id) await ctx.pg.query(`delete from reports where org_id = $1 and id = $2`, [ctx.auth.orgId, id]);
  },
  variants: [
    { label: 'pipeline stats', request: getPath(() => '/v1/deals/stats'), notes: '500k deals: the deal cube (owner × pipeline × stage × status × month)' },
    {
      label: 'forecast by quarter, open deals',
      request: getPath(() => '/v1/deals/forecast?period=quarter&status=eq.open'),
      notes: 'the deal cube, by expected-close month',
    },
    {
      label: 'kanban, largest pipeline, 20 per stage',
      request: getPath((ctx) => `/v1/pipelines/${ctx.found.get(PIPELINE_KEY)}/kanban`),
      notes: 'stage totals from the deal cube, first deals per stage live (one statement)',
    },
    {
      label: 'pipeline stats, created_at=gte.2026-01-01',
      request: getPath(() => '/v1/deals/stats?created_at=gte.2026-01-01'),
      notes: '338k deals created since: whole months from the created-month cells, no deal read',
    },
    {
      label: 'pipeline stats, created_at=gte.2026-01-15',
      request: getPath(() => '/v1/deals/stats?created_at=gte.2026-01-15'),
      notes: 'whole months from the cells, 15–31 January summed live (one index range)',
    },
    {
      label: 'saved report, from the rollup',
      request: getPath((ctx) => `/v1/reports/${ctx.found.get(REPORT_KEY)}/result`),
      floor: statements(
        (ctx) => ({
          text: `select id, name, definition, max_age_seconds as "maxAgeSeconds", created_by as "createdBy", created_at as "createdAt", updated_at as "updatedAt" from reports where org_id = $1 and id = $2`,
          values: [ctx.auth.orgId, ctx.found.get(REPORT_KEY)],
        }),
        (ctx) => ({ text: `select data from rollups where org_id = $1 and kind = 'report' and key = $2`, values: [ctx.auth.orgId, ctx.found.get(REPORT_KEY)] }),
      ),
      notes: 'open deals: count, value and probability by owner and close month, materialized by the 10-minute cron',
    },
  ],
};
