import type { Db } from '../db/client';
import { AppError } from '../http/errors';

/** Planner cost above which a list is refused instead of run (≈ a scan of a few 100k rows). */
export const MAX_PLAN_COST = 250_000;

const verdicts = new Map<string, number>();

/**
 * Query-cost guard for shapes that are not index-friendly (negations, unindexed substring
 * filters…): EXPLAIN first, refuse plans the planner itself prices too high. Verdicts are
 * remembered per query shape in isolate memory so a hot shape pays for EXPLAIN once.
 */
export async function guardCost(db: Db, shape: string, statement: string, values: readonly unknown[]): Promise<void> {
  let cost = verdicts.get(shape);
  if (cost === undefined) {
    const res = await db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }>(`explain (format json) ${statement}`, values);
    cost = res.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Total Cost'] ?? 0;
    if (verdicts.size > 1000) verdicts.clear();
    verdicts.set(shape, cost);
  }
  if (cost > MAX_PLAN_COST) {
    throw new AppError(
      'query_too_expensive',
      `This query would scan too much data (planner cost ${Math.round(cost)} > ${MAX_PLAN_COST}). Add an indexed filter (equality on an id or enum, a range on a sortable field, a substring of 3+ characters on a searchable field) or drop the negation.`,
    );
  }
}
