import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { databaseBindings, testDatabaseUrl } from './test/support/test-database';

// `npm run fuzz`: the route fuzzer (test/security/fuzz.test.ts) alone, with as many runs as
// asked. workerd does not see the shell's environment, so FUZZ_RUNS, FUZZ_SEED and FUZZ_SURVEY
// travel as bindings. Everything else is vitest.config.ts's: the same global setup (the embedded
// Postgres, migrated and seeded) and the same bindings.
const databaseUrl = testDatabaseUrl();

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        hyperdrives: { HYPERDRIVE: databaseUrl, HYPERDRIVE_CACHED: databaseUrl },
        bindings: {
          ...databaseBindings(databaseUrl),
          FUZZ_RUNS: process.env.FUZZ_RUNS ?? '10000',
          FUZZ_SEED: process.env.FUZZ_SEED ?? String(Date.now() % 2 ** 31),
          FUZZ_SURVEY: process.env.FUZZ_SURVEY ?? '',
        },
      },
    }),
  ],
  test: {
    include: ['test/security/fuzz.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
