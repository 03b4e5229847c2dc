import type { Memo } from '../cache/isolate';
import { AppError } from '../core/errors';
import type { Db } from '../db/client';

export type CountMethod = 'exact' | 'planned' | 'estimated';
export interface Count {
  value: number;
  method: CountMethod;
}

/**
 * How a count may sample: `id` is the resource's id column (`c.id`), random (version 4) UUIDs
 * with an `(org_id, id)` index usable under the count's WHERE. Those ids are a uniform random
 * order independent of every other column, so the matches among the lowest fraction f of the id
 * space are a uniform random sample of all matches, read through that index.
 */
export interface Sampling {
  id: string;
}

/**
 * Matches an estimate is made from: its relative standard error is about 1/√4000 = 1.6 %, so the
 * 10 % the API promises is six standard errors away (measured on the seed's filters: at most 4 %
 * off; at 2,500 one was 6.5 % off, at a cost only 20–30 % lower).
 */
export const SAMPLE_MATCHES = 4000;
/** An estimate below `limit × this` may be a count under the limit: then it is counted exactly. */
const NEAR_LIMIT = 1.15;

/**
 * Exact where that is cheap, estimated above a threshold (PostgREST's `count=estimated`): ask
 * the planner first (no execution). When it expects at most `limit` rows, count, but at most
 * `limit + 1` of them, so a planner that underestimates still costs a bounded count.
 *
 * Above the limit, with `sampling`, the answer is a sampled estimate (sampleCount: within a few
 * per cent, where the planner was off by up to 47 % on the seed's filters), and where the
 * planner underestimated, the bounded count reads its matches in id order, so the last one it
 * reads places the count (estimateFromKth). Without `sampling`, the planner's estimate (the
 * bounded count's floor where it underestimated).
 *
 * Estimates are remembered in `estimates` (the isolate's cache; exact counts never are).
 */
export async function countRows(db: Db, estimates: Memo, fromWhere: string, values: readonly unknown[], limit: number, sampling?: Sampling): Promise<Count> {
  // The org id is $1 among the values: entries are tenant-scoped.
  const key = `${limit}|${fromWhere}|${JSON.stringify(values)}`;
  const cached = estimates.get(key);
  if (cached !== undefined) return { value: cached, method: 'estimated' };
  const estimated = (value: number): Count => {
    estimates.set(key, value);
    return { value, method: 'estimated' };
  };
  const planned = await plannedRows(db, `select 1 ${fromWhere}`, values);
  if (!sampling) {
    if (planned > limit) return estimated(planned);
    const counted = await boundedCount(db, fromWhere, values, limit);
    return counted <= limit ? { value: counted, method: 'exact' } : { value: Math.max(counted, planned), method: 'estimated' };
  }
  if (planned > limit) {
    const sampled = await sampleCount(db, fromWhere, values, sampling, planned);
    if (sampled.method === 'exact') return sampled;
    if (sampled.value > limit * NEAR_LIMIT) return estimated(sampled.value);
  }
  const first = await firstMatches(db, fromWhere, values, sampling, limit + 1);
  if (first.n <= limit) return { value: first.n, method: 'exact' };
  return estimated(Math.max(limit + 1, estimateFromKth(limit + 1, first.kth)));
}

/**
 * `count=exact` counts at most this many rows. Measured on the test database: an exact count of
 * its largest org (300k contacts) takes 32–42 ms, of its 300k activities 42–50 ms, so this
 * budget is well under 100 ms of counting; the bench's 1.5M-row org is estimated instead.
 */
export const EXACT_COUNT_BUDGET = 500_000;

/** Where an exact count's decision is remembered: the planner's estimate, or the rows a bounded count reached. */
const exactKey = (fromWhere: string, values: readonly unknown[]) => `exact|${fromWhere}|${JSON.stringify(values)}`;

/** The planner's match estimate for a strict exact count, remembered like estimates (10 s). */
export function exactPlanned(db: Db, estimates: Memo, fromWhere: string, values: readonly unknown[]): Promise<number> {
  return rememberedPlan(db, estimates, exactKey(fromWhere, values), fromWhere, values);
}

/**
 * The planner's row estimate for `select 1 <fromWhere>`, remembered under `key` in `estimates`
 * (tenant-scoped: the org is $1 among the values the key carries).
 */
export async function rememberedPlan(db: Db, estimates: Memo | undefined, key: string, fromWhere: string, values: readonly unknown[]): Promise<number> {
  const cached = estimates?.get(key);
  if (cached !== undefined) return cached;
  const planned = await plannedRows(db, `select 1 ${fromWhere}`, values);
  estimates?.set(key, planned);
  return planned;
}

/** A strict `count=exact` (Prefer: handling=strict) that its budget cannot make exact. */
export function exactOverBudget(rows: number, budget: number): AppError {
  return new AppError(
    'query_too_expensive',
    `count=exact: about ${rows} rows match, more than the ${budget} an exact count may read. Narrow the filter, or drop handling=strict to get an estimate (count.method says which).`,
  );
}

/**
 * `count=exact` under a row budget: a count bounded at `budget + 1` rows, so no exact count reads
 * more than that. A count that reaches it is over the budget: a strict caller (who was refused
 * before the page if the planner saw it coming, execute.ts) is refused; a lenient one gets the
 * estimate `count=estimated` gives, and `method` says so. An overflow is remembered like an
 * estimate (10 s), so the same shape goes to the estimate directly instead of counting again.
 */
export async function exactCount(
  db: Db,
  estimates: Memo,
  fromWhere: string,
  values: readonly unknown[],
  opts: { budget: number; strict: boolean; countLimit: number; sampling?: Sampling },
): Promise<Count> {
  const key = exactKey(fromWhere, values);
  let reached = estimates.get(key);
  if (reached === undefined || reached <= opts.budget) {
    reached = await boundedCount(db, fromWhere, values, opts.budget);
    if (reached <= opts.budget) return { value: reached, method: 'exact' };
    estimates.set(key, reached);
  }
  if (opts.strict) throw exactOverBudget(reached, opts.budget);
  return countRows(db, estimates, fromWhere, values, Math.min(opts.countLimit, opts.budget), opts.sampling);
}

const TOP_BITS = 2 ** 48;

/** The matches below the id bound `$boundParam` (sampleCount). */
export function sampleSql(fromWhere: string, sampling: Sampling, boundParam: number): string {
  return `select count(*)::int as n ${fromWhere} and ${sampling.id} < $${boundParam}::uuid`;
}

/** The first `k` matches in id order: how many, and the last one's id (firstMatches). */
export function firstMatchesSql(fromWhere: string, sampling: Sampling, k: number): string {
  return `select count(*)::int as n, max(first_ids.id::text) as kth from (select ${sampling.id} as id ${fromWhere} order by ${sampling.id} limit ${k}) first_ids`;
}

/** The UUID below which lies the fraction `f` of the id space (its first 48 bits, which v4 draws at random). */
export function uuidBelow(f: number): { bound: string; fraction: number } {
  const top = Math.floor(f * TOP_BITS);
  const hex = top.toString(16).padStart(12, '0');
  return { bound: `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000`, fraction: top / TOP_BITS };
}

/**
 * Matches among the lowest fraction of ids, scaled up by that fraction. The fraction is chosen
 * from the planner's estimate so the sample holds about SAMPLE_MATCHES matches (more where the
 * planner underestimated, which only makes it more precise); a sample that came out thin (the
 * planner overestimated) is taken once more at the fraction the first one suggests. A fraction
 * of the whole space is a count of every match: exact.
 */
async function sampleCount(db: Db, fromWhere: string, values: readonly unknown[], sampling: Sampling, planned: number): Promise<Count> {
  let f = SAMPLE_MATCHES / Math.max(planned, 1);
  for (let attempt = 0; ; attempt++) {
    if (f >= 1) {
      const all = await db.query<{ n: number }>(`select count(*)::int as n ${fromWhere}`, values);
      return { value: all.rows[0]?.n ?? 0, method: 'exact' };
    }
    const { bound, fraction } = uuidBelow(f);
    const res = await db.query<{ n: number }>(sampleSql(fromWhere, sampling, values.length + 1), [...values, bound]);
    const n = res.rows[0]?.n ?? 0;
    if (n >= SAMPLE_MATCHES / 2 || attempt > 0) return { value: Math.round(n / fraction), method: 'estimated' };
    f = n ? SAMPLE_MATCHES / (n / fraction) : 1;
  }
}

/** The first `k` matches in id order: how many there are (fewer than k: all of them) and the last one's id. */
async function firstMatches(db: Db, fromWhere: string, values: readonly unknown[], sampling: Sampling, k: number): Promise<{ n: number; kth: string | null }> {
  const res = await db.query<{ n: number; kth: string | null }>(firstMatchesSql(fromWhere, sampling, k), values);
  return { n: res.rows[0]?.n ?? 0, kth: res.rows[0]?.kth ?? null };
}

/**
 * The count that puts the k-th smallest of uniformly random ids at `kth`: (k − 1) / u, with u
 * its position in the id space, is unbiased (u is Beta(k, N − k + 1)); its relative standard
 * error is 1/√(k − 2), 1 % at k = 10,001.
 */
export function estimateFromKth(k: number, kth: string | null): number {
  if (!kth) return 0;
  const u = (Number.parseInt(kth.replace(/-/g, '').slice(0, 12), 16) + 0.5) / TOP_BITS;
  return Math.round((k - 1) / u);
}

/** The matching rows counted, but at most `limit + 1` of them: more than `limit` means "over". */
export async function boundedCount(db: Db, fromWhere: string, values: readonly unknown[], limit: number): Promise<number> {
  const probe = await db.query<{ n: number }>(`select count(*)::int as n from (select 1 ${fromWhere} limit ${limit + 1}) bounded`, values);
  return probe.rows[0]?.n ?? 0;
}

/** The planner's row estimate for a statement (EXPLAIN, no execution). */
export async function plannedRows(db: Db, statement: string, values: readonly unknown[]): Promise<number> {
  const res = await db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(`explain (format json) ${statement}`, values);
  const plan = res.rows[0]?.['QUERY PLAN'];
  return Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0);
}
