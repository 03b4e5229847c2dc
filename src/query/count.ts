import type { Db } from '../db/client';

export type CountMethod = 'exact' | 'planned' | 'estimated';
export interface Count {
  value: number;
  method: CountMethod;
}

/**
 * Exact where that is cheap, estimated above a threshold: count at most `limit + 1` rows
 * (bounded cost whatever the table size); past the limit, take the planner's estimate,
 * never reporting less than what was actually counted.
 */
export async function countRows(db: Db, fromWhere: string, values: readonly unknown[], limit: number): Promise<Count> {
  const probe = await db.query<{ n: number }>(
    `select count(*)::int as n from (select 1 ${fromWhere} limit ${limit + 1}) bounded`,
    values,
  );
  const counted = probe.rows[0]?.n ?? 0;
  if (counted <= limit) return { value: counted, method: 'exact' };
  return { value: Math.max(counted, await plannedRows(db, `select 1 ${fromWhere}`, values)), method: 'estimated' };
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
