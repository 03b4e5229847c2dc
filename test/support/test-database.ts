// Node-side (vitest config + global setup): where the test database lives.
import { databaseName, databaseUrl, withDatabase } from '../../scripts/lib/config';

export const NEON_PROXY_PORT = Number(process.env.CRM_NEON_PROXY_PORT ?? 54331);

/** The seeded dataset the plan tests need: ≥ 200k contacts and ≥ 200k deals (one per three contacts); the largest org about half. */
export const TEST_SEED = { contacts: 600_000, orgs: 4, seed: 7 } as const;

export function testDatabaseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const base = databaseUrl();
  // Never seed over a developer's database: tests get a sibling database of their own.
  return withDatabase(base, `${databaseName(base)}_test`);
}

/** PgBouncer (transaction mode) in front of the test database, started by the global setup. */
export const PGBOUNCER_PORT = Number(process.env.CRM_PGBOUNCER_PORT ?? 54332);

/** A TCP server that accepts connections and never answers (a hung database), from the global setup. */
export const HUNG_DB_PORT = Number(process.env.CRM_HUNG_DB_PORT ?? 54333);

/** An HTTP server that records the requests it gets (webhook deliveries), from the global setup. */
export const WEBHOOK_RECEIVER_PORT = Number(process.env.CRM_WEBHOOK_RECEIVER_PORT ?? 54334);

/** The test database through the pooler: same user, password and database. */
export function poolerUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.hostname = '127.0.0.1';
  u.port = String(PGBOUNCER_PORT);
  return u.toString();
}

/** The role HYPERDRIVE_CACHED logs in as in tests (created by test/global-setup.ts): a member of the owner, so it reads everything. */
export const CACHED_READER = 'crm_cached_reader';

/** The test database as HYPERDRIVE_CACHED reaches it: the same server and database, another role. */
export function cachedReaderUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.username = CACHED_READER;
  u.password = CACHED_READER;
  return u.toString();
}

/** A connection string for the hung server (it never reads the credentials). */
export function hungDatabaseUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.hostname = '127.0.0.1';
  u.port = String(HUNG_DB_PORT);
  return u.toString();
}

/** The workerd bindings every suite that uses the test database gets (vitest.config.ts, vitest.fuzz.config.ts). */
export function databaseBindings(databaseUrl: string): Record<string, string> {
  return {
    TEST_DATABASE_URL: databaseUrl,
    TEST_POOLER_URL: poolerUrl(databaseUrl),
    TEST_HUNG_DB_URL: hungDatabaseUrl(databaseUrl),
    TEST_WEBHOOK_RECEIVER_URL: `http://127.0.0.1:${WEBHOOK_RECEIVER_PORT}`,
    NEON_WS_PROXY: `127.0.0.1:${NEON_PROXY_PORT}/v1`,
  };
}
