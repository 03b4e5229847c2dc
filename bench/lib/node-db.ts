import pg from 'pg';
import { NO_STATEMENT_TIMEOUT } from '../../scripts/lib/config';
import type { Db } from '../../src/db/client';

export interface Statement {
  text: string;
  values: readonly unknown[];
}

/**
 * The Worker's `Db` interface over one warm `pg` connection in Node, so the API's own service
 * code runs here unchanged and sends exactly the statements it sends from the Worker
 * (unnamed, parameterised). `log` keeps the statements of the last call for the notes.
 */
export function nodeDb(client: pg.Client): Db & { log: Statement[] } {
  const stats = { queries: 0, ms: 0, connectMs: 0, maxInFlight: 0 };
  const log: Statement[] = [];
  return {
    stats,
    log,
    driver: 'hyperdrive',
    binding: 'fresh',
    prewarm() {},
    async query<T>(text: string, values: readonly unknown[] = []) {
      log.push({ text, values });
      const started = performance.now();
      try {
        const res = await client.query({ text, values: values as unknown[] });
        return { rows: res.rows as T[] };
      } finally {
        stats.queries++;
        stats.ms += performance.now() - started;
      }
    },
    // The baselines run statements to the end: nothing to cancel.
    async cancel() {},
    async close() {},
  };
}

/**
 * A connection for baselines: opened once, warmed by the caller's warm-up. Direct to Postgres,
 * so it opts out of the database's default statement timeout (a bench's own statements, such
 * as the naive baseline's scans, may run longer than the API's limit).
 */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, ...NO_STATEMENT_TIMEOUT });
  client.on('error', () => {});
  await client.connect();
  return client;
}
