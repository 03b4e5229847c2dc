// Orchestrates one seed: wipe, drop secondary indexes, load phase by phase on parallel
// connections, vacuum, rebuild indexes, analyze, record the parameters.
import pg from 'pg';
import { NO_STATEMENT_TIMEOUT } from '../config';
import { makeCtx } from './context';
import { dropSecondaryIndexes, rebuildIndexes } from './indexes';
import { clearMeta, ensureMetaTable, readMeta, sameParams, withSeedLock, writeMeta } from './meta';
import { analyzeJobs, BULK_TABLES, fieldValueJobs, loadPhases, vacuumJobs } from './phases';
import { planDataset, type SeedParams } from './plan';
import { openWorkers, type PhaseTiming, runJobs, timed, type Workers } from './runner';
import { validateParams } from './validate';

export interface SeedOptions extends SeedParams {
  log?: (s: string) => void;
}

export interface SeedSummary {
  params: SeedParams;
  /** Rows inserted per table. */
  rows: Record<string, number>;
  totalRows: number;
  phases: PhaseTiming[];
  totalMs: number;
  rowsPerSecond: number;
  /** Whether FK triggers were skipped (session_replication_role = replica). */
  replica: boolean;
}

/** Tables the seed owns: everything in the schema except its own bookkeeping. */
async function domainTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN ('seed_meta', 'seed_index_backup') ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

function addRows(into: Map<string, number>, from: Map<string, number>): number {
  let total = 0;
  for (const [t, n] of from) {
    into.set(t, (into.get(t) ?? 0) + n);
    total += n;
  }
  return total;
}

async function load(main: pg.Client, workers: Workers, params: SeedParams, log: (s: string) => void) {
  const phases: PhaseTiming[] = [];
  const rows = new Map<string, number>();
  const tables = await timed(phases, 'wipe', log, async () => {
    const all = await domainTables(main);
    await main.query(`TRUNCATE ${all.join(', ')} RESTART IDENTITY CASCADE`);
    return all;
  });
  const indexes = await timed(phases, 'drop indexes', log, () => dropSecondaryIndexes(main, BULK_TABLES));
  const ctx = makeCtx(planDataset(params));
  for (const phase of loadPhases(ctx)) {
    await timed(phases, phase.name, log, async () => addRows(rows, await runJobs(workers.clients, phase.jobs)));
  }
  // The load skips triggers (replica role), so the distinct values the triggers keep are filled here.
  await timed(phases, 'field values', log, () => runJobs(workers.clients, fieldValueJobs()));
  await timed(phases, 'vacuum', log, () => runJobs(workers.clients, vacuumJobs(rows)));
  await timed(phases, `indexes (${indexes.length})`, log, () => rebuildIndexes(workers.clients, indexes, rows));
  await timed(phases, 'analyze', log, () => runJobs(workers.clients, analyzeJobs(tables, rows)));
  return { phases, rows };
}

/** Seeds while holding the seed lock on `main`. */
async function seedLocked(main: pg.Client, url: string, params: SeedParams, log: (s: string) => void): Promise<SeedSummary> {
  const t0 = performance.now();
  await ensureMetaTable(main);
  await clearMeta(main);
  const workers = await openWorkers(url, log);
  try {
    const { phases, rows } = await load(main, workers, params, log);
    await writeMeta(main, params, { replica: workers.replica });
    const totalMs = performance.now() - t0;
    const totalRows = [...rows.values()].reduce((a, b) => a + b, 0);
    return {
      params,
      rows: Object.fromEntries([...rows].sort()),
      totalRows,
      phases,
      totalMs,
      rowsPerSecond: Math.round(totalRows / (totalMs / 1000)),
      replica: workers.replica,
    };
  } finally {
    await workers.close();
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'crm-seed', ...NO_STATEMENT_TIMEOUT });
  client.on('error', () => {});
  await client.connect();
  try {
    // TRUNCATE and DROP INDEX wait for every open transaction on the tables: fail with a
    // clear message instead of hanging behind an idle-in-transaction session.
    await client.query("SET client_min_messages = warning; SET lock_timeout = '60s'");
    return await fn(client).catch((e) => {
      if ((e as { code?: string }).code === '55P03') {
        (e as Error).message =
          `another session holds a lock on the CRM tables (${(e as Error).message}); stop the dev server or tests using this database and retry`;
      }
      throw e;
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** Wipes the domain tables and loads a fresh deterministic dataset. */
export async function seedDatabase(url: string, opts: SeedOptions): Promise<SeedSummary> {
  const params = validateParams(opts);
  const log = opts.log ?? (() => {});
  return withClient(url, (main) => withSeedLock(main, () => seedLocked(main, url, params, log)));
}

/** Parameters of the last complete seed, or null (none, interrupted, or an older generator). */
export async function seededWith(url: string): Promise<SeedParams | null> {
  return withClient(url, readMeta);
}

/** Seeds only when the database holds a different dataset; safe to call from parallel processes. */
export async function ensureSeeded(url: string, opts: SeedOptions): Promise<{ seeded: boolean; summary?: SeedSummary }> {
  const params = validateParams(opts);
  const log = opts.log ?? (() => {});
  return withClient(url, (main) =>
    withSeedLock(main, async () => {
      if (sameParams(await readMeta(main), params)) return { seeded: false };
      return { seeded: true, summary: await seedLocked(main, url, params, log) };
    }),
  );
}
