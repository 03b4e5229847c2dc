import type { Memo } from '../cache/isolate';
import { AppError } from '../core/errors';
import type { Db } from '../db/client';

/** Planner cost above which a list is refused instead of run (≈ a scan of a few 100k rows). */
export const MAX_PLAN_COST = 250_000;

/**
 * Query-cost guard for shapes that are not index-friendly (negations, unindexed substring
 * filters…): EXPLAIN first, refuse plans the planner itself prices too high. The verdict is
 * remembered by `key` in the isolate's cache (src/cache/), so a hot shape pays for EXPLAIN once.
 */
export async function guardCost(db: Db, verdicts: Memo, key: string, statement: string, values: readonly unknown[]): Promise<void> {
  let cost = verdicts.get(key);
  if (cost === undefined) {
    const res = await db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }>(`explain (format json) ${statement}`, values);
    cost = res.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Total Cost'] ?? 0;
    verdicts.set(key, cost);
  }
  if (cost > MAX_PLAN_COST) {
    throw new AppError(
      'query_too_expensive',
      `This query would scan too much data (planner cost ${Math.round(cost)} > ${MAX_PLAN_COST}). Add an indexed filter (equality on an id or enum, a range on a sortable field, a substring of 3+ characters on a searchable field) or drop the negation.`,
    );
  }
}
