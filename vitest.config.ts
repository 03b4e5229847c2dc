import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { hungDatabaseUrl, NEON_PROXY_PORT, poolerUrl, testDatabaseUrl } from './test/support/test-database';

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
        hyperdrives: { HYPERDRIVE: databaseUrl },
        bindings: {
          TEST_DATABASE_URL: databaseUrl,
          TEST_POOLER_URL: poolerUrl(databaseUrl),
          TEST_HUNG_DB_URL: hungDatabaseUrl(databaseUrl),
          NEON_WS_PROXY: `127.0.0.1:${NEON_PROXY_PORT}/v1`,
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
