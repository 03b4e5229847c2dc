import { sql } from 'drizzle-orm';
import { orgGenerations } from '../db/schema/org-generations';
import type { Orm } from './orm';

/**
 * The one hook every write calls after its commit: the org's generation moves on, and the
 * resources the write touched are recorded. Read tiers key their entries by generation
 * (DESIGN §6), so an entry written before the change can no longer be found once a reader has
 * seen the new number. Returns the new generation, which the write answers as `X-Generation`.
 * One autocommit statement: its row lock lasts that statement, not the write's transaction.
 */
export async function bumpGeneration(db: Orm, orgId: string, resources: readonly string[]): Promise<number> {
  const [row] = await db
    .insert(orgGenerations)
    .values({ orgId, generation: 1, resources: [...resources] })
    .onConflictDoUpdate({
      target: orgGenerations.orgId,
      set: { generation: sql`${orgGenerations.generation} + 1`, resources: [...resources], updatedAt: sql`now()` },
    })
    .returning({ generation: orgGenerations.generation });
  return Number(row.generation);
}
