// Runs in Node before the workerd test pool: a real Postgres, migrated and seeded; PgBouncer
// (transaction mode) in front of it; a TCP server that never answers (a hung database).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensurePgbouncer, startPgbouncer } from '../bench/lib/pgbouncer';
import { NO_STATEMENT_TIMEOUT } from '../scripts/lib/config';
import { ensurePostgres, migrateDatabase } from '../scripts/lib/postgres';
import { ensureSeeded } from '../scripts/lib/seed/index';
import { BULK_TABLES } from '../scripts/lib/seed/phases';
import { startNeonProxy } from './support/neon-proxy';
import {
  CACHED_READER,
  HUNG_DB_PORT,
  NEON_PROXY_PORT,
  PGBOUNCER_PORT,
  poolerUrl,
  TEST_SEED,
  testDatabaseUrl,
  WEBHOOK_RECEIVER_PORT,
} from './support/test-database';

const log = (m: string) => process.stderr.write(`[test setup] ${m}\n`);

/** Whether a Postgres (or a pooler) answers at `url`. */
async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
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
 * PgBouncer in transaction mode in front of the test database on PGBOUNCER_PORT (Debian's
 * package, installed with apt-get when missing and we are root), for the tests that prove the
 * statement timeout holds through a pooler. One already answering there (an earlier run that
 * did not stop it) is used as it is.
 */
async function startPooler(databaseUrl: string): Promise<() => Promise<void>> {
  const url = poolerUrl(databaseUrl);
  if (await answers(url)) {
    log(`a pooler already answers on 127.0.0.1:${PGBOUNCER_PORT}: using it`);
    return async () => {};
  }
  const bin = ensurePgbouncer(log);
  if (!bin)
    throw new Error('The tests need PgBouncer (test/db/statement-timeout.test.ts): install it (apt-get install -y pgbouncer) or run the tests as root.');
  for (let attempt = 1; ; attempt++) {
    // Its own world-traversable directory: as root, PgBouncer runs as the postgres user.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-test-pgbouncer-'));
    chmodSync(dir, 0o755);
    try {
      const pooler = await startPgbouncer(bin, databaseUrl, dir, () => {}, { port: PGBOUNCER_PORT });
      return async () => {
        await pooler.stop();
        rmSync(dir, { recursive: true, force: true });
      };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      // Once more after a pause: the port may still be held by a pooler that is shutting down.
      if (attempt >= 2) throw err;
      log(`PgBouncer did not start (${String(err).split('\n')[0]}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** Accepts connections and never writes a byte: what a hung database looks like to a client. */
function startHungServer(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve(
        () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      ),
    );
  });
}

/**
 * A webhook receiver (test/support/receiver.ts reads it from inside workerd): records every
 * request (method, path, headers, body) by path and answers 200, or the status set for its path
 * with `PUT /_receiver/status?path=…&status=…`; `GET /_receiver/requests?path=…` lists what a path
 * got. Tests use paths of their own, so runs sharing one receiver (one already answering on the
 * port is used as it is) do not see each other's requests.
 */
async function startWebhookReceiver(port: number): Promise<() => Promise<void>> {
  const received = new Map<string, Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }>>();
  const statuses = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      const target = url.searchParams.get('path') ?? '';
      if (url.pathname === '/_receiver/status' && req.method === 'PUT') {
        statuses.set(target, Number(url.searchParams.get('status') ?? 200));
        return answer(200, { ok: true });
      }
      if (url.pathname === '/_receiver/requests') return answer(200, received.get(target) ?? []);
      const list = received.get(url.pathname) ?? [];
      list.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      received.set(url.pathname, list);
      answer(statuses.get(url.pathname) ?? 200, { received: true });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      // Bounded: something that accepts and never answers must not hang the whole run.
      const other = await fetch(`http://127.0.0.1:${port}/_receiver/requests?path=/`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      if (!other?.ok) return reject(new Error(`port ${port} (CRM_WEBHOOK_RECEIVER_PORT) is taken by something that is not a webhook receiver`));
      log(`a webhook receiver already answers on 127.0.0.1:${port}: using it`);
      resolve(async () => {});
    });
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise<void>((done) => server.close(() => done()))));
  });
}

/**
 * The seeded tables vacuumed again, as the seed left them. Plan tests expect index-only scans
 * where the visibility map allows them; the tests' own writes land on the seeded tables' pages
 * and clear bits only a vacuum sets again, so a test database reused across runs drifted from
 * the seeded plans (the recency walk for a common search term turned to heap reads). Pages
 * still all-visible are skipped: a few seconds after a run, about one on a fresh seed.
 */
async function vacuumSeeded(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, ...NO_STATEMENT_TIMEOUT });
  await c.connect();
  try {
    await c.query(`vacuum ${BULK_TABLES.join(', ')}`);
  } finally {
    await c.end();
  }
}

/** The role HYPERDRIVE_CACHED logs in as (vitest.config.ts): it inherits the owner's rights on every table. */
async function ensureCachedReader(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rowCount } = await c.query('select 1 from pg_roles where rolname = $1', [CACHED_READER]);
    if (!rowCount) await c.query(`create role ${CACHED_READER} login password '${CACHED_READER}'`);
    await c.query(`grant ${pg.escapeIdentifier(new URL(url).username || 'postgres')} to ${CACHED_READER}`);
  } finally {
    await c.end();
  }
}

export default async function setup() {
  const server = await ensurePostgres({ quiet: true });
  const stops: Array<() => Promise<void>> = [];
  // Everything this setup started, newest first; also when it fails, so no server outlives the run.
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await server.stop().catch(() => {});
  };
  try {
    const url = testDatabaseUrl();
    await migrateDatabase(url);
    await ensureSeeded(url, { ...TEST_SEED, log: () => {} });
    await vacuumSeeded(url);
    await ensureCachedReader(url);
    const db = new URL(url);
    stops.push(await startNeonProxy(NEON_PROXY_PORT, { host: db.hostname, port: Number(db.port || 5432) }));
    stops.push(await startHungServer(HUNG_DB_PORT));
    stops.push(await startWebhookReceiver(WEBHOOK_RECEIVER_PORT));
    stops.push(await startPooler(url));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
