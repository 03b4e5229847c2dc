// Runs load statements on a small pool of connections (one per core on the 2-core target)
// so that Postgres uses every core: the work is split into independent jobs and each
// connection pulls the next-biggest job until none are left.
import pg from 'pg';
import { NO_STATEMENT_TIMEOUT } from '../config';

/** One statement and the table whose row count it adds to. */
export interface Statement {
  table: string;
  sql: string;
}

/** One unit of parallel work: statements run in order on one connection. */
export interface Job {
  label: string;
  statements: Statement[];
  /** Relative cost, for biggest-first scheduling. */
  weight: number;
}

/** A job of one statement. */
export function job(table: string, label: string, sql: string, weight: number): Job {
  return { label, statements: [{ table, sql }], weight };
}

export interface Workers {
  clients: pg.Client[];
  /** False when the server refused session_replication_role (FK triggers stay on). */
  replica: boolean;
  close(): Promise<void>;
}

export const WORKER_COUNT = 2;

/**
 * Opens the load connections. `session_replication_role = replica` skips FK triggers
 * during the load (the generator guarantees integrity by construction); it needs
 * superuser, so without it the load falls back to checked inserts in dependency order.
 */
export async function openWorkers(url: string, log: (s: string) => void): Promise<Workers> {
  const clients: pg.Client[] = [];
  const granted: boolean[] = [];
  for (let n = 0; n < WORKER_COUNT; n++) {
    const client = new pg.Client({ connectionString: url, application_name: `crm-seed-${n}`, ...NO_STATEMENT_TIMEOUT });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    await client.query(`SET synchronous_commit = off; SET jit = off; SET work_mem = '256MB';
      SET max_parallel_maintenance_workers = 0; SET client_min_messages = warning`);
    granted.push(await trySet(client, 'session_replication_role', 'replica'));
  }
  const replica = granted.every(Boolean);
  if (!replica) {
    log('warning: not permitted to SET session_replication_role = replica (needs superuser); ' + 'loading with foreign-key checks on, which is slower');
    for (const [n, c] of clients.entries()) if (granted[n]) await c.query('RESET session_replication_role');
  }
  return { clients, replica, close: async () => void (await Promise.all(clients.map((c) => c.end().catch(() => {})))) };
}

async function trySet(client: pg.Client, name: string, value: string): Promise<boolean> {
  try {
    await client.query(`SET ${name} = ${value}`);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === '42501') return false;
    throw e;
  }
}

/** Runs jobs biggest first on all clients; returns rows inserted per table. */
export async function runJobs(clients: pg.Client[], jobs: Job[]): Promise<Map<string, number>> {
  const queue = [...jobs].sort((a, b) => b.weight - a.weight);
  const rows = new Map<string, number>();
  const worker = async (client: pg.Client) => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const t0 = performance.now();
      for (const { table, sql } of job.statements) {
        const res = await runStatement(client, sql, job.label).catch((e) => {
          queue.length = 0; // stop the other connections after their current job
          throw e;
        });
        if (res.command === 'INSERT') rows.set(table, (rows.get(table) ?? 0) + (res.rowCount ?? 0));
      }
      if (process.env.SEED_TRACE) console.log(`    ${job.label} ${(performance.now() - t0).toFixed(0)} ms`);
    }
  };
  const settled = await Promise.allSettled(clients.map(worker));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return rows;
}

async function runStatement(client: pg.Client, sql: string, label: string): Promise<pg.QueryResult> {
  try {
    return await client.query(sql);
  } catch (e) {
    const err = e as Error;
    err.message = `${label}: ${err.message}`;
    throw err;
  }
}

/** Times a phase and reports it. */
export async function timed<T>(phases: PhaseTiming[], name: string, log: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  phases.push({ name, ms });
  log(`  ${name.padEnd(22)} ${(ms / 1000).toFixed(2).padStart(8)} s`);
  return out;
}

export interface PhaseTiming {
  name: string;
  ms: number;
}
