import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { NEON_PROXY_PORT, testDatabaseUrl } from './test/support/test-database';

// Tests run inside workerd against a real Postgres: the embedded server (database crm_test)
// unless TEST_DATABASE_URL / DATABASE_URL say otherwise. test/global-setup.ts starts, migrates
// and seeds it before any test file runs.
const databaseUrl = testDatabaseUrl();

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        hyperdrives: { HYPERDRIVE: databaseUrl },
        bindings: {
          TEST_DATABASE_URL: databaseUrl,
          NEON_WS_PROXY: `127.0.0.1:${NEON_PROXY_PORT}/v1`,
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup-noseed.tmp.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
