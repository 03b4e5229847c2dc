import { Client as NeonClient, neonConfig } from '@neondatabase/serverless';
import pg from 'pg';
import type { AppEnv } from '../env';
import { AppError, fromDatabaseError } from '../http/errors';
import { WorkerSocket } from './socket';

export interface QueryResult<T> {
  rows: T[];
}

/** What a request gets: parameterised queries on one connection, opened on first use. */
export interface Db {
  query<T = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Statements run, their summed wall time, and the time spent opening the connection (Server-Timing, meta). */
  readonly stats: { queries: number; ms: number; connectMs: number };
  readonly driver: 'hyperdrive' | 'neon';
  /**
   * Starts opening the connection without waiting for it, so the round trips to the pooler
   * overlap the request's own work (validation, compiling). A failure surfaces on the first query.
   */
  prewarm(): void;
  close(): Promise<void>;
}

type RawClient = {
  connect(): Promise<unknown>;
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): unknown;
};

/** Whether a connection string asks for TLS (then pg's own adapter, which can upgrade, is used). */
export function wantsTls(connectionString: string): boolean {
  return /[?&](ssl=|sslmode=(?!disable))/.test(connectionString);
}

function makeClient(env: AppEnv, statementTimeoutMs: number): { client: RawClient; driver: Db['driver'] } {
  // statement_timeout travels as a startup parameter: Postgres itself cancels runaway queries.
  if (env.HYPERDRIVE) {
    // A client per request: a Worker cannot keep sockets across requests; Hyperdrive pools.
    const client = new pg.Client({
      connectionString: env.HYPERDRIVE.connectionString,
      statement_timeout: statementTimeoutMs,
      // Our socket adapter (no per-chunk copy); TLS, where configured, stays with pg's own.
      ...(wantsTls(env.HYPERDRIVE.connectionString) ? {} : { stream: () => new WorkerSocket() as never }),
    });
    return { client: client as unknown as RawClient, driver: 'hyperdrive' };
  }
  if (env.DATABASE_URL) {
    if (env.NEON_WS_PROXY) {
      const proxy = env.NEON_WS_PROXY;
      neonConfig.wsProxy = () => proxy;
      neonConfig.useSecureWebSocket = false;
      neonConfig.pipelineTLS = false;
      neonConfig.pipelineConnect = false;
    }
    return { client: new NeonClient({ connectionString: env.DATABASE_URL, statement_timeout: statementTimeoutMs }) as unknown as RawClient, driver: 'neon' };
  }
  throw new AppError('service_unavailable', 'No database is configured for this deployment.');
}

export function createDb(env: AppEnv, log: (msg: string, extra?: Record<string, unknown>) => void, statementTimeoutMs = 10_000): Db {
  let connecting: Promise<RawClient> | null = null;
  let closed = false;
  let driver: Db['driver'] = env.HYPERDRIVE ? 'hyperdrive' : 'neon';
  const stats = { queries: 0, ms: 0, connectMs: 0 };

  const connection = () =>
    (connecting ??= (async () => {
      const made = makeClient(env, statementTimeoutMs);
      driver = made.driver;
      // Without a listener, a dropped socket becomes an unhandled error in workerd.
      // Closing the socket also rejects the pending read: that one is expected, not logged.
      made.client.on('error', (err) => closed || log('db connection error', { error: String(err) }));
      const started = performance.now();
      try {
        await made.client.connect();
      } catch (err) {
        log('db connect failed', { error: String(err) });
        throw new AppError('service_unavailable', 'The database is unavailable; retry shortly.');
      } finally {
        stats.connectMs = performance.now() - started;
      }
      return made.client;
    })());

  return {
    stats,
    get driver() {
      return driver;
    },
    prewarm() {
      connection().catch(() => {});
    },
    async query<T>(text: string, values: readonly unknown[] = []) {
      const client = await connection();
      const started = performance.now();
      try {
        // Unnamed statements only: named ones collide behind transaction-mode poolers.
        const res = await client.query({ text, values: values as unknown[] });
        return { rows: res.rows as T[] };
      } catch (err) {
        const mapped = fromDatabaseError(err);
        if (mapped) throw mapped;
        log('db query failed', { error: String(err), code: (err as { code?: string }).code });
        throw err;
      } finally {
        stats.queries++;
        stats.ms += performance.now() - started;
      }
    },
    async close() {
      if (!connecting) return;
      const pending = connecting;
      connecting = null;
      closed = true;
      try {
        const client = await pending;
        await client.end();
      } catch {
        // Closing a connection that failed to open or is already gone is not an error.
      }
    },
  };
}
