import { Client as NeonClient, neonConfig } from '@neondatabase/serverless';
import pg from 'pg';
import { AppError, fromDatabaseError } from '../core/errors';
import type { AppEnv } from '../env';
import { statementStream } from './socket';

export interface QueryResult<T> {
  rows: T[];
}

/** What a request gets: parameterised queries on one connection, opened on first use. */
export interface Db {
  query<T = Record<string, unknown>>(text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /**
   * Statements run, the wall time with at least one of them in flight (pipelined statements
   * overlap: their time is counted once), the time spent opening the connection, and the most
   * statements in flight at once (Server-Timing, meta).
   */
  readonly stats: { queries: number; ms: number; connectMs: number; maxInFlight: number };
  readonly driver: 'hyperdrive' | 'neon';
  /** The binding the connection goes (or would go) through: `cached` only when asked for and bound. */
  readonly binding: DbBinding;
  /**
   * Starts opening the connection without waiting for it, so the round trips to the pooler
   * overlap the request's own work (validation, compiling). A failure surfaces on the first query.
   */
  prewarm(): void;
  /**
   * Asks the server to cancel the statements in flight (a CancelRequest on a connection of its
   * own, with the key the server gave at login), for a request whose client went away: they
   * reject (SQLSTATE 57014) instead of running on until the statement timeout. Resolves once
   * none is in flight, or after a few tries. A no-op when nothing runs. Later statements run
   * as usual.
   */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

export interface QueryOptions {
  /** Rows as arrays of values in column order (what Drizzle's proxy driver maps from), not objects. */
  rowMode?: 'array';
}

export interface DbOptions {
  /** Bound on opening the connection (TCP and login); past it the request gets a 503. */
  connectTimeoutMs?: number;
  /**
   * Which Hyperdrive binding the connection goes through (decision 0045): `fresh` (HYPERDRIVE, no
   * query cache) unless the caller routed the request to `cached` (HYPERDRIVE_CACHED, Hyperdrive's
   * query cache on), which falls back to HYPERDRIVE where it is not bound.
   */
  binding?: DbBinding;
}

/** The Hyperdrive binding a connection uses (decision 0045). */
export type DbBinding = 'fresh' | 'cached';

/** Milliseconds the connection may take to open unless the caller says (CONNECT_TIMEOUT_MS). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** How long one CancelRequest is given to take effect before the next try. */
const CANCEL_WAIT_MS = 1000;
/** CancelRequests sent at most per cancel(): statements pipelined behind the running one start when it ends. */
const CANCEL_TRIES = 5;

/**
 * What this module uses of pg's `Client` and of Neon's (a bundled, older pg): public methods
 * and events, plus the BackendKeyData pair both keep as `processID`/`secretKey` after the login
 * (not declared by @types/pg), which a CancelRequest needs.
 */
interface DriverClient {
  connect(): Promise<unknown>;
  query(config: { text: string; values: unknown[]; queryMode?: 'extended'; rowMode?: 'array' }): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}
interface BackendKey {
  processID?: number | null;
  secretKey?: number | null;
}

/** pg's `Connection` (a public export) and Neon's, used bare: opened, sent a CancelRequest, closed. */
interface CancelSocket {
  connect(port: number, host: string): void;
  cancel(processID: number, secretKey: number): void;
  end(): void;
  on(event: 'connect' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

/**
 * One connection, whichever driver: `start` begins opening it, `query` runs a statement once
 * the login is done, `cancel` sends one CancelRequest, `end` closes it.
 */
interface Connection {
  start(): void;
  /** Settles when the login finished or failed. */
  opened(): Promise<void>;
  query(text: string, values: unknown[], rowMode?: 'array'): Promise<unknown[]>;
  cancel(): Promise<void>;
  end(): Promise<void>;
  /** Milliseconds from start to a finished login (0 until then). */
  connectMs(): number;
  /** Whether the login finished: an error before it means the database is unavailable. */
  connected(): boolean;
  /** Whether the connection ended or failed after the login (the server or the network dropped it). */
  lost(): boolean;
}

/**
 * Sends a CancelRequest for the backend `key` names, on a new connection to `target` (the
 * protocol's way: the server reads it, signals the backend and closes). Best effort: a target
 * that refuses or ignores it (a pooler without cancel support) just leaves the statement to
 * the statement timeout.
 */
function sendCancel(socket: CancelSocket, target: { host: string; port: number }, key: { processID: number; secretKey: number }): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      try {
        socket.end();
      } catch {
        // Already closed.
      }
      finish();
    }, CANCEL_WAIT_MS);
    socket.on('error', finish);
    socket.on('end', finish);
    socket.on('connect', () => socket.cancel(key.processID, key.secretKey));
    socket.connect(target.port, target.host);
  });
}

/** Host and port a connection string names (where a CancelRequest goes). */
function targetOf(connectionString: string): { host: string; port: number } {
  const url = new URL(connectionString);
  return { host: decodeURIComponent(url.hostname), port: Number(url.port || 5432) };
}

/**
 * A driver's client as a `Connection`. Statements wait for the login: pg in pipeline mode then
 * writes each one as soon as it is asked for, without waiting for the answers to earlier ones
 * (pg's Client, `_pulsePipelinedQueryQueue`), so statements issued together
 * share one round trip; each has its own Sync, so one failing does not fail the others.
 * Neon's bundled pg sends them one after another. `queryMode: 'extended'`: every statement is
 * an unnamed Parse/Bind/Execute, with or without parameters (named prepared statements collide
 * behind transaction-mode poolers; unnamed ones are one statement per message).
 */
function viaClient(
  client: DriverClient & BackendKey,
  target: { host: string; port: number },
  cancelSocket: () => CancelSocket,
  onError: (err: Error) => void,
): Connection {
  let lost = false;
  // Without a listener, a dropped socket becomes an unhandled error in workerd.
  client.on('error', (err) => {
    lost = true;
    onError(err);
  });
  client.on('end', () => {
    lost = true;
  });
  let opening: Promise<void> | null = null;
  let ok = false;
  let ms = 0;
  const start = (): Promise<void> => {
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
    opened: () => start().catch(() => {}),
    async query(text, values, rowMode) {
      await start();
      const res = await client.query({ text, values, queryMode: 'extended', ...(rowMode ? { rowMode } : {}) });
      return res.rows;
    },
    async cancel() {
      const { processID, secretKey } = client;
      if (!ok || lost || processID == null || secretKey == null) return;
      const socket = cancelSocket();
      await sendCancel(socket, target, { processID, secretKey });
    },
    async end() {
      // A login still in flight (prewarm, then a request refused before any statement) is let
      // finish, bounded by the connect timeout, and then closed: the drivers' end() during the
      // login can miss the socket still being opened, which then stays open with its server
      // session.
      if (opening) await opening.catch(() => {});
      await client.end();
    },
    connectMs: () => ms,
    connected: () => ok,
    lost: () => lost,
  };
}

/** The Hyperdrive binding `binding` names, if bound. */
function hyperdriveFor(env: AppEnv, binding: DbBinding): Hyperdrive | undefined {
  return binding === 'cached' ? (env.HYPERDRIVE_CACHED ?? env.HYPERDRIVE) : env.HYPERDRIVE;
}

function makeConnection(env: AppEnv, binding: DbBinding, connectTimeoutMs: number, onError: (err: Error) => void): { conn: Connection; driver: Db['driver'] } {
  const hyperdrive = hyperdriveFor(env, binding);
  if (hyperdrive) {
    // A connection per request: a Worker cannot keep sockets across requests; Hyperdrive pools.
    // Plain TCP or TLS (sslmode in the string), pg handles both.
    const url = hyperdrive.connectionString;
    // Each statement leaves in one write (socket.ts): pipelining behind a pooler depends on it.
    const client = new pg.Client({ connectionString: url, pipeline: true, connectionTimeoutMillis: connectTimeoutMs, stream: statementStream });
    return { conn: viaClient(client, targetOf(url), () => new pg.Connection() as unknown as CancelSocket, onError), driver: 'hyperdrive' };
  }
  if (env.DATABASE_URL) {
    if (env.NEON_WS_PROXY) {
      const proxy = env.NEON_WS_PROXY;
      neonConfig.wsProxy = () => proxy;
      neonConfig.useSecureWebSocket = false;
      neonConfig.pipelineTLS = false;
      neonConfig.pipelineConnect = false;
    }
    const url = env.DATABASE_URL;
    const client = new NeonClient({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
    // Neon exports no Connection class: a new client's (unopened) `connection` is one, and it
    // reaches the server the way the client does (a WebSocket to Neon's proxy).
    const cancelSocket = () => new NeonClient({ connectionString: url }).connection as unknown as CancelSocket;
    return { conn: viaClient(client as unknown as DriverClient & BackendKey, targetOf(url), cancelSocket, onError), driver: 'neon' };
  }
  throw new AppError('service_unavailable', 'No database is configured for this deployment.');
}

/**
 * The request's database. Postgres itself bounds each statement: the database's default
 * `statement_timeout` (migrations/0011_statement_timeout.sql) holds on every session,
 * pooled or not, so nothing is sent for it here.
 */
export function createDb(env: AppEnv, log: (msg: string, extra?: Record<string, unknown>) => void, options: DbOptions = {}): Db {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const binding: DbBinding = options.binding === 'cached' && env.HYPERDRIVE_CACHED ? 'cached' : 'fresh';
  let made: { conn: Connection; driver: Db['driver'] } | null = null;
  let closed = false;
  let driver: Db['driver'] = env.HYPERDRIVE ? 'hyperdrive' : 'neon';
  const stats = { queries: 0, ms: 0, connectMs: 0, maxInFlight: 0 };
  let inFlight = 0;
  let busySince = 0;
  /** Called when a statement settles (cancel waits on them). */
  const settled: Array<() => void> = [];

  const connection = (): Connection => {
    if (!made) {
      // Closing the socket also ends the pending read: that one is expected, not logged.
      made = makeConnection(env, binding, connectTimeoutMs, (err) => closed || log('db connection error', { error: String(err) }));
      driver = made.driver;
      made.conn.start();
    }
    return made.conn;
  };
  const unavailable = (err: unknown) => {
    log('db connect failed', { error: String(err) });
    return new AppError('service_unavailable', 'The database is unavailable; retry shortly.');
  };
  const nextSettled = () => new Promise<void>((resolve) => settled.push(resolve));
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const cancel = async () => {
    const current = made;
    if (!current || inFlight === 0) return;
    // Statements asked for during the login run once it is done: cancel them then.
    await current.conn.opened();
    for (let tries = 0; tries < CANCEL_TRIES && inFlight > 0 && current.conn.connected() && !current.conn.lost(); tries++) {
      const next = nextSettled();
      await current.conn.cancel();
      // A CancelRequest cancels what the backend runs when it arrives; one that lands between
      // two pipelined statements is ignored, so try again while any is still in flight.
      await Promise.race([next, sleep(CANCEL_WAIT_MS)]);
    }
  };

  return {
    stats,
    get driver() {
      return driver;
    },
    binding,
    prewarm() {
      try {
        connection();
      } catch {
        // No database configured: the first query reports it.
      }
    },
    async query<T>(text: string, values: readonly unknown[] = [], options: QueryOptions = {}) {
      const conn = connection();
      if (inFlight++ === 0) busySince = performance.now();
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      try {
        const rows = await conn.query(text, values as unknown[], options.rowMode);
        return { rows: rows as T[] };
      } catch (err) {
        // A failure before the login finished (refused, timed out, wrong password, dropped)
        // is the database being unavailable, not this statement's fault.
        if (!conn.connected()) throw unavailable(err);
        const mapped = fromDatabaseError(err);
        if (mapped) throw mapped;
        // The driver's own errors once the connection is gone carry no SQLSTATE: still a 503.
        if (conn.lost()) throw unavailable(err);
        log('db query failed', { error: String(err), code: (err as { code?: string }).code });
        throw err;
      } finally {
        stats.queries++;
        if (--inFlight === 0) stats.ms += performance.now() - busySince;
        stats.connectMs = conn.connectMs();
        for (const resolve of settled.splice(0)) resolve();
      }
    },
    cancel,
    async close() {
      const current = made;
      if (!current) return;
      // Statements still in flight have no reader left: stop them rather than wait for them.
      if (inFlight > 0) await cancel().catch(() => {});
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
