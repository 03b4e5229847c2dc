import type { Memo } from '../cache/isolate';
import type { Db } from '../db/client';

export type CountMethod = 'exact' | 'planned' | 'estimated';
export interface Count {
  value: number;
  method: CountMethod;
}

/**
 * Exact where that is cheap, estimated above a threshold (PostgREST's `count=estimated`):
 * ask the planner first (no execution); when it expects more than `limit` rows, report its
 * estimate. Otherwise count, but at most `limit + 1` rows, so a planner that underestimates
 * still costs a bounded count, and the answer never claims fewer rows than were counted.
 * Estimates are remembered in `estimates` (the isolate's cache; exact counts never are).
 */
export async function countRows(db: Db, estimates: Memo, fromWhere: string, values: readonly unknown[], limit: number): Promise<Count> {
  // The org id is $1 among the values: entries are tenant-scoped.
  const key = `${limit}|${fromWhere}|${JSON.stringify(values)}`;
  const cached = estimates.get(key);
  if (cached !== undefined) return { value: cached, method: 'estimated' };
  const planned = await plannedRows(db, `select 1 ${fromWhere}`, values);
  if (planned > limit) {
    estimates.set(key, planned);
    return { value: planned, method: 'estimated' };
  }
  const counted = await boundedCount(db, fromWhere, values, limit);
  return counted <= limit ? { value: counted, method: 'exact' } : { value: Math.max(counted, planned), method: 'estimated' };
}

/** The matching rows counted, but at most `limit + 1` of them: more than `limit` means "over". */
export async function boundedCount(db: Db, fromWhere: string, values: readonly unknown[], limit: number): Promise<number> {
  const probe = await db.query<{ n: number }>(`select count(*)::int as n from (select 1 ${fromWhere} limit ${limit + 1}) bounded`, values);
  return probe.rows[0]?.n ?? 0;
}

/** The planner's row estimate for a statement (EXPLAIN, no execution). */
export async function plannedRows(db: Db, statement: string, values: readonly unknown[]): Promise<number> {
  const res = await db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    `explain (format json) ${statement}`,
    values,
  );
  const plan = res.rows[0]?.['QUERY PLAN'];
  return Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0);
}
