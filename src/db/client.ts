import { Client as NeonClient, neonConfig } from '@neondatabase/serverless';
import pg from 'pg';
import type { AppEnv } from '../env';
import { AppError, fromDatabaseError } from '../core/errors';
import { SET_TIMEOUT, WireClient } from './wire';

export interface QueryResult<T> {
  rows: T[];
}

/** What a request gets: parameterised queries on one connection, opened on first use. */
export interface Db {
  query<T = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<T>>;
  /**
   * Statements run, the wall time with at least one of them in flight (pipelined statements
   * overlap: their time is counted once), the time spent opening the connection, and the most
   * statements in flight at once (Server-Timing, meta).
   */
  readonly stats: { queries: number; ms: number; connectMs: number; maxInFlight: number };
  readonly driver: 'hyperdrive' | 'neon';
  /**
   * Starts opening the connection without waiting for it, so the round trips to the pooler
   * overlap the request's own work (validation, compiling). A failure surfaces on the first query.
   */
  prewarm(): void;
  close(): Promise<void>;
}

/**
 * One connection, whichever driver: `start` begins opening it, `query` runs a statement
 * (queued behind the login where the driver can pipeline), `end` closes it.
 */
interface Connection {
  start(): void;
  query(text: string, values: unknown[]): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
  /** Milliseconds from start to a finished login (0 until then). */
  connectMs(): number;
  /** Whether the login finished: an error before it means the database is unavailable. */
  connected(): boolean;
}

/** What pg's Client and Neon's (a bundled pg) share; `Query` is the client's own query class. */
export type PgLike = {
  connect(): Promise<unknown>;
  query(query: object): unknown;
  end(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): unknown;
  constructor: { Query: PgQueryClass };
};
type PgQueryClass = new (config: { text: string; values?: unknown[]; callback: (err: Error | null, res: { rows: unknown[] }) => void }) => PgQuery;
interface PgQuery {
  requiresPreparation(): boolean;
  prepare(connection: PgConnection): void;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, connection: PgConnection): void;
}
interface PgConnection {
  parse(config: { text: string }): void;
  bind(config: { values: unknown[] }): void;
  execute(config: object): void;
}

/**
 * pg's query class, sending SET_TIMEOUT ahead of the statement in the same pipeline (one Sync,
 * so one implicit transaction and no extra round trip), like the wire client. A startup
 * parameter would not do: PgBouncer-style poolers reject or drop it, and a session SET would
 * outlive the request on a pooled connection.
 */
function timedQueryClass(Query: PgQueryClass, statementTimeoutMs: number): PgQueryClass {
  if (!statementTimeoutMs) return Query;
  return class TimedQuery extends (Query as unknown as new (...args: ConstructorParameters<PgQueryClass>) => PgQuery) {
    /** The set_config's own row and completion are not the statement's. */
    private setting = true;
    requiresPreparation() {
      return true; // the extended protocol, so both statements share one Sync
    }
    prepare(connection: PgConnection) {
      connection.parse({ text: SET_TIMEOUT });
      connection.bind({ values: [`${statementTimeoutMs}ms`] });
      connection.execute({});
      super.prepare(connection);
    }
    handleDataRow(msg: unknown) {
      if (!this.setting) super.handleDataRow(msg);
    }
    handleCommandComplete(msg: unknown, connection: PgConnection) {
      if (this.setting) this.setting = false;
      else super.handleCommandComplete(msg, connection);
    }
  };
}

/** Whether a connection string asks for TLS (then pg's own adapter, which can upgrade, is used). */
export function wantsTls(connectionString: string): boolean {
  return /[?&](ssl=|sslmode=(?!disable))/.test(connectionString);
}

/** pg and Neon's driver: log in, then query (no statement can ride along with the login). */
export function viaClient(client: PgLike, statementTimeoutMs: number, onError: (err: Error) => void): Connection {
  client.on('error', onError);
  const Query = timedQueryClass(client.constructor.Query, statementTimeoutMs);
  let opening: Promise<unknown> | null = null;
  let ok = false;
  let ms = 0;
  const start = () => {
    if (opening) return opening;
    const started = performance.now();
    opening = client.connect().then(
      () => {
        ok = true;
        ms = performance.now() - started;
      },
      (err) => {
        ms = performance.now() - started;
        throw err;
      },
    );
    opening.catch(() => {});
    return opening;
  };
  return {
    start: () => void start(),
    async query(text, values) {
      await start();
      return new Promise((resolve, reject) => {
        client.query(new Query({ text, values, callback: (err, res) => (err ? reject(err) : resolve(res.rows as Record<string, unknown>[])) }));
      });
    },
    end: () => client.end(),
    connectMs: () => ms,
    connected: () => ok,
  };
}

/** Our wire client: the first statement goes out with the password (src/db/wire.ts). */
function viaWire(connectionString: string, statementTimeoutMs: number, onError: (err: Error) => void): Connection {
  const client = new WireClient({ connectionString, statementTimeoutMs });
  client.onError = onError;
  return {
    start: () => client.start(),
    query: (text, values) => client.query(text, values),
    end: () => client.end(),
    connectMs: () => client.connectMs,
    connected: () => client.isReady,
  };
}

function makeConnection(env: AppEnv, statementTimeoutMs: number, onError: (err: Error) => void): { conn: Connection; driver: Db['driver'] } {
  // Postgres itself cancels runaway statements: every driver sets the timeout per statement, in
  // the statement's own transaction (poolers reject or drop startup parameters).
  if (env.HYPERDRIVE) {
    // A connection per request: a Worker cannot keep sockets across requests; Hyperdrive pools.
    const url = env.HYPERDRIVE.connectionString;
    if (!wantsTls(url)) return { conn: viaWire(url, statementTimeoutMs, onError), driver: 'hyperdrive' };
    // TLS, where configured, stays with pg, which can upgrade the socket.
    const client = new pg.Client({ connectionString: url });
    return { conn: viaClient(client as unknown as PgLike, statementTimeoutMs, onError), driver: 'hyperdrive' };
  }
  if (env.DATABASE_URL) {
    if (env.NEON_WS_PROXY) {
      const proxy = env.NEON_WS_PROXY;
      neonConfig.wsProxy = () => proxy;
      neonConfig.useSecureWebSocket = false;
      neonConfig.pipelineTLS = false;
      neonConfig.pipelineConnect = false;
    }
    const client = new NeonClient({ connectionString: env.DATABASE_URL });
    return { conn: viaClient(client as unknown as PgLike, statementTimeoutMs, onError), driver: 'neon' };
  }
  throw new AppError('service_unavailable', 'No database is configured for this deployment.');
}

export function createDb(env: AppEnv, log: (msg: string, extra?: Record<string, unknown>) => void, statementTimeoutMs = 10_000): Db {
  let made: { conn: Connection; driver: Db['driver'] } | null = null;
  let closed = false;
  let driver: Db['driver'] = env.HYPERDRIVE ? 'hyperdrive' : 'neon';
  const stats = { queries: 0, ms: 0, connectMs: 0, maxInFlight: 0 };
  let inFlight = 0;
  let busySince = 0;

  const connection = (): Connection => {
    if (!made) {
      // Without a listener, a dropped socket becomes an unhandled error in workerd.
      // Closing the socket also ends the pending read: that one is expected, not logged.
      made = makeConnection(env, statementTimeoutMs, (err) => closed || log('db connection error', { error: String(err) }));
      driver = made.driver;
      made.conn.start();
    }
    return made.conn;
  };
  const unavailable = (err: unknown) => {
    log('db connect failed', { error: String(err) });
    return new AppError('service_unavailable', 'The database is unavailable; retry shortly.');
  };

  return {
    stats,
    get driver() {
      return driver;
    },
    prewarm() {
      try {
        connection();
      } catch {
        // No database configured: the first query reports it.
      }
    },
    async query<T>(text: string, values: readonly unknown[] = []) {
      const conn = connection();
      if (inFlight++ === 0) busySince = performance.now();
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      try {
        // Unnamed statements only: named ones collide behind transaction-mode poolers.
        const rows = await conn.query(text, values as unknown[]);
        return { rows: rows as T[] };
      } catch (err) {
        // A failure before the login finished (refused, wrong password, dropped) is the
        // database being unavailable, not this statement's fault.
        if (!conn.connected()) throw unavailable(err);
        const mapped = fromDatabaseError(err);
        if (mapped) throw mapped;
        log('db query failed', { error: String(err), code: (err as { code?: string }).code });
        throw err;
      } finally {
        stats.queries++;
        if (--inFlight === 0) stats.ms += performance.now() - busySince;
        stats.connectMs = conn.connectMs();
      }
    },
    async close() {
      const current = made;
      if (!current) return;
      made = null;
      closed = true;
      try {
        await current.conn.end();
      } catch {
        // Closing a connection that failed to open or is already gone is not an error.
      }
    },
  };
}
