import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { countRows } from '../../src/query/count';
import { createOrg } from '../support/factories';
import { demoOrg } from '../support/seeded';

describe('count estimates in isolate memory', () => {
  it('reuses a planner estimate for a few seconds, per org and values; never caches exact counts', async () => {
    const demo = await demoOrg();
    const small = await createOrg();
    const db = createDb(env as never, () => {});
    try {
      const from = 'from contacts c where c.org_id = $1 and c.deleted_at is null';
      const t0 = Date.now() + 1_000_000; // a clock of our own, so no other test's entries interfere
      const first = await countRows(db, from, [demo.orgId], 1000, t0);
      expect(first.method).toBe('estimated');
      const queries = db.stats.queries;
      expect(await countRows(db, from, [demo.orgId], 1000, t0 + 5_000)).toEqual(first);
      expect(db.stats.queries).toBe(queries);
      await countRows(db, from, [demo.orgId], 1000, t0 + 11_000);
      expect(db.stats.queries).toBe(queries + 1);
      const exact = await countRows(db, from, [small.id], 1000, t0);
      expect(exact).toEqual({ value: 0, method: 'exact' });
      const before = db.stats.queries;
      await countRows(db, from, [small.id], 1000, t0);
      expect(db.stats.queries).toBeGreaterThan(before);
    } finally {
      await db.close();
    }
  });
});
