import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// The fast lane (`npm run test:unit`): files named `*.unit.test.ts`, inside workerd with the
// same plugin and wrangler.toml, but without test/global-setup.ts, so no Postgres is started,
// migrated or seeded. The full suite (vitest.config.ts) runs these files too.
// wrangler.toml's Hyperdrive binding needs a connection string for the Worker to load: this
// one points at a port nothing listens on, so a unit test that reaches for the database fails
// at once (connection refused) instead of passing against some other server.
const NO_DATABASE = 'postgres://unit:unit@127.0.0.1:9/no_database_in_unit_tests';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        hyperdrives: { HYPERDRIVE: NO_DATABASE, HYPERDRIVE_CACHED: NO_DATABASE },
        bindings: { TEST_DATABASE_URL: NO_DATABASE, NEON_WS_PROXY: '127.0.0.1:9/v1' },
      },
    }),
  ],
  test: {
    include: ['test/**/*.unit.test.ts'],
    testTimeout: 30_000,
    // One worker for all files instead of one per file (~2 s each on a 2-core box): these
    // tests hold no state between files. The full suite keeps per-file isolation.
    isolate: false,
  },
});
