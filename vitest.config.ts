import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { cachedReaderUrl, databaseBindings, testDatabaseUrl } from './test/support/test-database';

// Tests run inside workerd against a real Postgres: the embedded server (database crm_test)
// unless TEST_DATABASE_URL / DATABASE_URL say otherwise. test/global-setup.ts starts, migrates
// and seeds it before any test file runs; it also starts PgBouncer in front of it
// (TEST_POOLER_URL) and a server that accepts connections and never answers (TEST_HUNG_DB_URL).
const databaseUrl = testDatabaseUrl();

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // HYPERDRIVE_CACHED logs in as another role (test/global-setup.ts) so a test can tell which binding a connection used.
        hyperdrives: { HYPERDRIVE: databaseUrl, HYPERDRIVE_CACHED: cachedReaderUrl(databaseUrl) },
        bindings: {
          ...databaseBindings(databaseUrl),
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
