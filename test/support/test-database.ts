// Node-side (vitest config + global setup): where the test database lives.
import { databaseUrl, withDatabase, databaseName } from '../../scripts/lib/config';

export const NEON_PROXY_PORT = Number(process.env.CRM_NEON_PROXY_PORT ?? 54331);

/** The seeded dataset the plan tests need: ≥ 200k contacts and ≥ 200k deals (one per three contacts); the largest org about half. */
export const TEST_SEED = { contacts: 600_000, orgs: 4, seed: 7 } as const;

export function testDatabaseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const base = databaseUrl();
  // Never seed over a developer's database: tests get a sibling database of their own.
  return withDatabase(base, `${databaseName(base)}_test`);
}
