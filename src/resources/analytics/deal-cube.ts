import type { Context } from 'hono';
import type { Db } from '../../db/client';
import type { AppContext } from '../../http/context';
import type { ListRequest } from '../../query/ast';
import { type CheckedFilter, checkFilters } from '../../query/check';
import { compileFilter } from '../../query/compile-filter';
import { Params } from '../../query/params';
import type { UserGrants } from '../../sharing/types';
import { CATALOG, RESOURCES } from '../registry';
import { generationSql, ROLLUP_MAX_AGE_MS, underLock } from './rollups';
import { ROLLUP_LIVE_ROWS, revalidate, rollupScope } from './scope';

/**
 * The deal cube (issue 26, decision 0052): per org, deal counts and sums by owner, pipeline,
 * stage, status and expected-close month (`deal_cells`), and the same without the owner (the
 * org's totals, `whole`); and the same by created month (`deal_created_cells`), for deal stats
 * under a `created_at` range; kept by the 5-minute cron. Pipeline
 * stats, the forecast and the kanban's stage totals over a big org read it instead of every
 * deal: a sum over a few thousand cells, not hundreds of thousands of rows. It answers when
 * the request's filters are on its dimensions only (status, pipeline, stage, owner: eq, neq,
 * in, is, and/or) and the caller's access is owners only or everything (rollupScope);
 * otherwise, or while the cube is stale for an org small enough to count live
 * (ROLLUP_LIVE_ROWS), the live statement answers. A stale cube of a bigger org is served with
 * `stale: true` and recomputed after the response once past FACET_ROLLUP_MAX_AGE_MS.
 */

const DIMENSIONS = new Set(['status', 'pipeline_id', 'stage_id', 'owner_id']);
const OPS = new Set(['eq', 'neq', 'in', 'is']);
/** Bounds of a `created_at` range the created-month cells can split into whole and partial months. */
const RANGE_OPS = new Set(['gte', 'gt', 'lt', 'lte']);

type CreatedBound = Extract<CheckedFilter, { kind: 'cond' }>;

/** A top-level `created_at` bound (gte, gt, lt, lte), not negated. */
const isCreatedBound = (f: CheckedFilter): f is CreatedBound => f.kind === 'cond' && f.name === 'created_at' && RANGE_OPS.has(f.op) && !f.not;

/**
 * The request's filters checked, when the cube can answer them; else undefined. With `created`,
 * top-level `created_at` bounds are taken too (deal stats: the created-month cells), apart.
 */
export function cubeFilters(req: ListRequest, created = false): { filters: CheckedFilter[]; bounds: CreatedBound[] } | undefined {
  if (req.q !== undefined || req.deleted !== 'exclude') return undefined;
  const checked = checkFilters(RESOURCES.deals, req.where, { catalog: CATALOG });
  const bounds = created ? checked.filter(isCreatedBound) : [];
  const filters = checked.filter((f) => !(created && isCreatedBound(f)));
  const fits = (f: CheckedFilter): boolean =>
    f.kind === 'cond' ? DIMENSIONS.has(f.name) && OPS.has(f.op) : (f.kind === 'and' || f.kind === 'or') && f.items.every(fits);
  return filters.every(fits) ? { filters, bounds } : undefined;
}

/**
 * The whole UTC months inside a `created_at` range, as SQL timestamps (UTC wall clock) over
 * `p`'s values: `lo` the first month's start, `hi` the end of the last ('-infinity' and
 * 'infinity' where a side is open). Computed by Postgres, to the microsecond: a month is whole
 * when every instant of it meets every bound.
 */
export function wholeMonths(bounds: readonly CreatedBound[], p: Params): { lo: string; hi: string } {
  const lows: string[] = [];
  const highs: string[] = [];
  for (const b of bounds) {
    const t = `(${p.add(b.value)}::timestamptz at time zone 'UTC')`;
    const month = `date_trunc('month', ${t})`;
    if (b.op === 'gte') lows.push(`case when ${month} = ${t} then ${month} else ${month} + interval '1 month' end`);
    else if (b.op === 'gt') lows.push(`${month} + interval '1 month'`);
    else if (b.op === 'lt') highs.push(month);
    else highs.push(`date_trunc('month', ${t} + interval '1 microsecond')`);
  }
  return {
    lo: `greatest('-infinity'::timestamp, ${lows.join(', ') || "'-infinity'::timestamp"})`,
    hi: `least('infinity'::timestamp, ${highs.join(', ') || "'infinity'::timestamp"})`,
  };
}

/** Orgs found without a cube, until when this isolate does not look again. */
const absent = new Map<string, number>();

const namesOwner = (f: CheckedFilter): boolean => (f.kind === 'cond' ? f.name === 'owner_id' : f.kind !== 'tags' && f.items.some(namesOwner));

/** What a cube read gives: the rows of `select`, and how fresh they are. */
export interface CubeAnswer<T> {
  rows: T[];
  computedAt: string;
  stale: boolean;
}

/**
 * Runs `select` (over `deal_cells d`, its conditions in `where`, values added to `p`; the
 * caller's grants for any live part) against
 * the cube, when it can answer this request for this caller; undefined means: answer live.
 * One statement: the cube's state, whether manual shares widen the caller's access, and the
 * aggregate, each row carrying the state.
 */
export async function fromCube<T extends Record<string, unknown>>(
  c: Context<AppContext>,
  req: ListRequest,
  select: (where: string, p: Params, grants: UserGrants, months?: { lo: string; hi: string }) => string,
  opts: { created?: boolean } = {},
): Promise<CubeAnswer<T> | undefined> {
  const { orgId } = c.var.auth;
  const p = new Params(orgId);
  if ((absent.get(orgId) ?? 0) > Date.now()) return undefined;
  const taken = cubeFilters(req, opts.created);
  if (!taken) return undefined;
  const { filters, bounds } = taken;
  const scope = await rollupScope(c, RESOURCES.deals, ['deals']);
  if (!scope) return undefined;
  const conditions = ['d.org_id = $1', ...filters.map((f) => `(${compileFilter(RESOURCES.deals, f, p)})`)];
  // Whoever reads every deal sums the org's cells, unless an owner filter needs the per-owner ones.
  conditions.push(scope.kind === 'all' && !filters.some(namesOwner) ? 'd.whole' : 'not d.whole');
  let shared = 'false';
  if (scope.kind === 'owners') {
    conditions.push(`d.owner_id = any(${p.add(scope.owners)}::uuid[])`);
    const s = scope.shared(p.values.length + 1);
    for (const v of s.values) p.add(v);
    shared = s.sql;
  }
  const { rows } = await c.var.services.db.query<T & { __generation: string; __computed_at: string; __rows: string; __shared: boolean; __row: boolean | null }>(
    `with st as (select data->>'generation' as generation, data->>'computedAt' as computed_at, data->>'rows' as rows from rollups where org_id = $1 and kind = 'deal-cube' and key = 'deals'),
       sh as (select ${shared} as shared)
     select st.generation as __generation, st.computed_at as __computed_at, st.rows as __rows, sh.shared as __shared, x.*
     from st cross join sh left join lateral (select true as __row, y.* from (${select(conditions.join(' and '), p, scope.grants, bounds.length ? wholeMonths(bounds, p) : undefined)}) y where not sh.shared) x on true`,
    p.values,
  );
  const head = rows[0];
  if (!head) {
    // No cube (orgs below ROLLUP_LIVE_ROWS deals get none from the cron): not asked again for a minute.
    if (absent.size > 10_000) absent.clear();
    absent.set(orgId, Date.now() + 60_000);
    return undefined;
  }
  if (head.__shared) return undefined;
  const stale = Number(head.__generation) < scope.current;
  if (stale && Number(head.__rows) <= ROLLUP_LIVE_ROWS) return undefined;
  revalidate(c, `deal-cube:${orgId}`, { computedAt: head.__computed_at, stale }, ROLLUP_MAX_AGE_MS, (db) => computeDealCube(db, orgId));
  const out = rows.filter((r) => r.__row).map(({ __generation, __computed_at, __rows, __shared, __row, ...rest }) => rest as unknown as T);
  return { rows: out, computedAt: head.__computed_at, stale };
}

/** Recomputes one org's deal cube (one pass over its live deals). False when another run holds it. */
export async function computeDealCube(db: Db, orgId: string): Promise<boolean> {
  return underLock(db, `rollup:deal-cube:${orgId}`, async () => {
    const [{ generation }] = (
      await db.query<{ generation: string }>(
        `select coalesce((select ${generationSql(['deals'])} from org_generations g where g.org_id = $1), 0)::text as generation`,
        [orgId],
      )
    ).rows;
    db.query(`delete from deal_cells where org_id = $1`, [orgId]).catch(() => {});
    db.query(`delete from deal_created_cells where org_id = $1`, [orgId]).catch(() => {});
    // One pass over the deals for both cubes: by close month and by created month (UTC), each
    // per owner and for the whole org (grouping() tells the sets apart).
    const closeMonth = `date_trunc('month', d.expected_close_date)`;
    const createdMonth = `date_trunc('month', d.created_at at time zone 'UTC')`;
    const { rows } = await db.query<{ n: string }>(
      `with g as materialized (
         select grouping(d.owner_id) = 1 as whole, grouping(${closeMonth}) = 1 as by_created, d.owner_id, d.pipeline_id, d.stage_id, d.status,
           ${closeMonth}::date as close_month, ${createdMonth}::date as created_month,
           count(*) as n, coalesce(sum(d.value), 0) as value, coalesce(sum(d.value * coalesce(d.probability, 0) / 100.0), 0) as weighted, count(d.value) as valued
         from deals d where d.org_id = $1 and d.deleted_at is null
         group by grouping sets (
           (d.owner_id, d.pipeline_id, d.stage_id, d.status, ${closeMonth}),
           (d.pipeline_id, d.stage_id, d.status, ${closeMonth}),
           (d.owner_id, d.pipeline_id, d.stage_id, d.status, ${createdMonth}),
           (d.pipeline_id, d.stage_id, d.status, ${createdMonth}))),
       by_created as (
         insert into deal_created_cells (org_id, whole, owner_id, pipeline_id, stage_id, status, created_month, n, value, weighted, valued)
         select $1, whole, owner_id, pipeline_id, stage_id, status, created_month, n, value, weighted, valued from g where by_created),
       by_close as (
         insert into deal_cells (org_id, whole, owner_id, pipeline_id, stage_id, status, close_month, n, value, weighted, valued)
         select $1, whole, owner_id, pipeline_id, stage_id, status, close_month, n, value, weighted, valued from g where not by_created
         returning whole, n)
       select coalesce(sum(n) filter (where whole), 0)::text as n from by_close`,
      [orgId],
    );
    await db.query(
      `insert into rollups (org_id, kind, key, data, computed_at)
       values ($1, 'deal-cube', 'deals', jsonb_build_object('generation', $2::bigint, 'computedAt', to_json(now()), 'rows', $3::bigint), now())
       on conflict (org_id, kind, key) do update set data = excluded.data, computed_at = excluded.computed_at`,
      [orgId, generation, rows[0]?.n ?? '0'],
    );
  });
}

/** The cron's pass: every org whose deals moved since its cube, and orgs past ROLLUP_LIVE_ROWS deals without one (smaller ones are summed live). */
export async function refreshDealCubes(db: Db, budgetMs = 5 * 60_000): Promise<{ computed: number; skipped: number; left: number }> {
  const started = Date.now();
  const { rows } = await db.query<{ org_id: string }>(
    `select o.id as org_id from orgs o
     left join org_generations g on g.org_id = o.id
     left join rollups ru on ru.org_id = o.id and ru.kind = 'deal-cube' and ru.key = 'deals'
     where (ru.org_id is null and (select count(*) from (select 1 from deals d where d.org_id = o.id and d.deleted_at is null limit $1 + 1) big) > $1)
        or (ru.data->>'generation')::bigint < coalesce((g.changed->>'deals')::bigint, 0)
     order by o.id`,
    [ROLLUP_LIVE_ROWS],
  );
  let computed = 0;
  let skipped = 0;
  for (const [i, { org_id }] of rows.entries()) {
    if (Date.now() - started > budgetMs) return { computed, skipped, left: rows.length - i };
    if (await computeDealCube(db, org_id)) computed++;
    else skipped++;
  }
  return { computed, skipped, left: 0 };
}
