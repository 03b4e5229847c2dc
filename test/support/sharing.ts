// Sharing in tests: a user's compiled grants as the API compiles them (the org's snapshot from
// Postgres, compiled by the same pure function the org's Durable Object runs), and EXPLAIN
// ANALYZE with buffers, flattened so a test can ask where a plan read and how much.
import { env } from 'cloudflare:test';
import type pg from 'pg';
import { createDb, type Db } from '../../src/db/client';
import { compileGrants } from '../../src/sharing/grants';
import { loadSnapshot } from '../../src/sharing/snapshot';
import type { UserGrants } from '../../src/sharing/types';
import { sql, withClient } from './sql';

export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(env as never, () => {});
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A user's grants from a fresh snapshot of their org: what the API applies at the current sharing version. */
export async function grantsOf(orgId: string, userId: string): Promise<UserGrants> {
  const snapshot = await withDb((db) => loadSnapshot(db, orgId));
  return compileGrants(snapshot, userId);
}

export interface PlanNode {
  type: string;
  relation?: string;
  index?: string;
  /** How the node hangs off its parent: Outer, Inner, Member, InitPlan, SubPlan… */
  parent?: string;
  /** `InitPlan 1`, `SubPlan 2`: the name a sub-plan's result is referred to by. */
  subplan?: string;
  loops: number;
  rows: number;
  /** Table rows read by this node over all its loops (kept + removed by a filter); heap-reading scans only. */
  tableRows: number;
  /** Index condition, filter and recheck, as Postgres prints them. */
  conditions: string;
}

export interface Analyzed {
  nodes: PlanNode[];
  /** Relations read by a sequential scan. */
  seqScans: string[];
  indexes: string[];
  /** Table rows read per relation, over all loops. */
  tableRows: Record<string, number>;
  /** Shared buffers the whole statement touched (hit + read). */
  buffers: number;
  plan: unknown;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): the statement runs, so scans report what they read.
 * On `client` when given (inside its transaction, e.g. under withLocalStatistics).
 */
export async function explainAnalyze(text: string, values: readonly unknown[] = [], client?: pg.Client): Promise<Analyzed> {
  const run = (c: pg.Client) => c.query<{ 'QUERY PLAN': any }>(`explain (analyze, buffers, format json) ${text}`, [...values]);
  const { rows } = client ? await run(client) : await withClient(run);
  const plan = rows[0]['QUERY PLAN'][0].Plan;
  const nodes: PlanNode[] = [];
  const walk = (n: any) => {
    const heap = ['Seq Scan', 'Index Scan', 'Bitmap Heap Scan'].includes(n['Node Type']);
    nodes.push({
      type: n['Node Type'],
      relation: n['Relation Name'],
      index: n['Index Name'],
      parent: n['Parent Relationship'],
      subplan: n['Subplan Name'],
      loops: n['Actual Loops'],
      rows: n['Actual Rows'],
      tableRows: heap ? Math.round((n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops']) : 0,
      conditions: [n['Index Cond'], n.Filter, n['Recheck Cond']].filter(Boolean).join(' | '),
    });
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(plan);
  const tableRows: Record<string, number> = {};
  for (const n of nodes) if (n.relation && n.tableRows) tableRows[n.relation] = (tableRows[n.relation] ?? 0) + n.tableRows;
  return {
    nodes,
    seqScans: nodes.filter((n) => n.type === 'Seq Scan').map((n) => n.relation as string),
    indexes: nodes.flatMap((n) => (n.index ? [n.index] : [])),
    tableRows,
    buffers: (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0),
    plan,
  };
}

/**
 * Runs `fn` on a connection whose planner sees statistics of the tables as they are now, rows a
 * test just inserted included, while every other connection keeps the shared ones: ANALYZE in a
 * transaction that is rolled back (pg_statistic is transactional; only pg_class's row and page
 * counts, which ANALYZE writes in place, stay refreshed). A new tenant is planned without its
 * statistics until autovacuum analyzes; this is the plan it gets after.
 */
export async function withLocalStatistics<T>(tables: string[], fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(async (c) => {
    await c.query('begin');
    try {
      for (const t of tables) await c.query(`analyze ${t}`);
      return await fn(c);
    } finally {
      await c.query('rollback');
    }
  });
}

/** A one-line summary of a plan for failure messages and reports: node, relation/index, loops × rows. */
export function describePlan(a: Analyzed): string {
  return a.nodes
    .map(
      (n) =>
        `${n.parent === 'InitPlan' || n.parent === 'SubPlan' ? `[${n.subplan}] ` : ''}${n.type}${n.index ? ` ${n.index}` : n.relation ? ` ${n.relation}` : ''} ${n.loops}×${n.rows}`,
    )
    .join('; ');
}

/**
 * Makes `types` private in the org (no public default; `hierarchy`: managers see their reports'),
 * raising the sharing version as a settings write does; returns what undoes it.
 */
export async function privateTo(orgId: string, types: readonly string[], opts: { hierarchy?: boolean } = {}): Promise<() => Promise<void>> {
  for (const t of types) {
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, $2, 'private', $3)`, [
      orgId,
      t,
      opts.hierarchy ?? false,
    ]);
  }
  const bump = () =>
    sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [orgId],
    );
  await bump();
  return async () => {
    await sql(`delete from sharing_settings where org_id = $1`, [orgId]);
    await bump();
  };
}
