// Runs in Node before the workerd test pool: a real Postgres, migrated and seeded.
import { ensurePostgres, migrateDatabase } from '../scripts/lib/postgres';
import { ensureSeeded } from '../scripts/lib/seed/index';
import { allowWireLoginMethods } from './support/login-methods';
import { startNeonProxy } from './support/neon-proxy';
import { NEON_PROXY_PORT, TEST_SEED, testDatabaseUrl } from './support/test-database';

export default async function setup() {
  const server = await ensurePostgres({ quiet: true });
  const url = testDatabaseUrl();
  await migrateDatabase(url);
  await allowWireLoginMethods(url);
  await ensureSeeded(url, { ...TEST_SEED, log: () => {} });
  const pg = new URL(url);
  const stopProxy = await startNeonProxy(NEON_PROXY_PORT, { host: pg.hostname, port: Number(pg.port || 5432) });
  return async () => {
    await stopProxy();
    await server.stop();
  };
}
