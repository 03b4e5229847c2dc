import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createMemo } from '../../src/cache/isolate';
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
      let now = 1_000; // a clock of our own
      const estimates = createMemo({ max: 10, ttlMs: 10_000 }, { now: () => now });
      const first = await countRows(db, estimates, from, [demo.orgId], 1000);
      expect(first.method).toBe('estimated');
      const queries = db.stats.queries;
      now = 6_000;
      expect(await countRows(db, estimates, from, [demo.orgId], 1000)).toEqual(first);
      expect(db.stats.queries).toBe(queries);
      now = 12_000;
      await countRows(db, estimates, from, [demo.orgId], 1000);
      expect(db.stats.queries).toBe(queries + 1);
      const exact = await countRows(db, estimates, from, [small.id], 1000);
      expect(exact).toEqual({ value: 0, method: 'exact' });
      // Not remembered: asked again, it plans and counts again (two statements), same answer.
      const before = db.stats.queries;
      expect(await countRows(db, estimates, from, [small.id], 1000)).toEqual(exact);
      expect(db.stats.queries).toBe(before + 2);
    } finally {
      await db.close();
    }
  });
});
