import { type SQL, sql } from 'drizzle-orm';
import { orgGenerations } from '../db/schema/org-generations';
import type { Orm } from './orm';

export { readSharingVersion } from '../sharing/snapshot';

/**
 * Resources whose writes can change what some user may see or edit, so they also raise the
 * org's sharing version: users (role, manager, team, active), teams (deleting one empties its
 * members' team), sharing rules and settings. Record shares and record ownership are not here:
 * the access predicate reads `record_shares` and `owner_id` live, so compiled grants stay true.
 * Over-raising costs a recompile; missing a resource would serve revoked access, so a write
 * that is unsure lists its resource here.
 */
export const SHARING_RESOURCES: ReadonlySet<string> = new Set(['users', 'teams', 'sharing_rules', 'sharing_settings']);

export function touchesSharing(resources: readonly string[]): boolean {
  return resources.some((r) => SHARING_RESOURCES.has(r));
}

export interface Versions {
  /** The org's cache generation (`X-Generation`). */
  generation: number;
  /** The org's sharing version (`OrgSnapshot.version`). */
  sharingVersion: number;
}

/**
 * The one hook every write calls after its commit: the org's generation moves on, and the
 * resources the write touched are recorded. Read tiers key their entries by generation
 * (DESIGN §6), so an entry written before the change can no longer be found once a reader has
 * seen the new number. A write to a `SHARING_RESOURCES` resource also raises the sharing
 * version, so grants compiled before it are recompiled. One autocommit statement, after the
 * commit: its row lock lasts that statement, not the write's transaction, and a reader who sees
 * the new version also sees the committed change (snapshot.ts relies on that order).
 */
export async function bumpVersions(db: Orm, orgId: string, resources: readonly string[]): Promise<Versions> {
  const sharing = touchesSharing(resources) ? 1 : 0;
  // Each resource the write touched is recorded as changed at the new generation.
  const changedAt = (generation: SQL) =>
    sql`jsonb_build_object(${sql.join(
      resources.map((r) => sql`${r}::text, ${generation}`),
      sql`, `,
    )})`;
  const [row] = await db
    .insert(orgGenerations)
    .values({ orgId, generation: 1, sharingVersion: sharing, resources: [...resources], changed: changedAt(sql`1`) })
    .onConflictDoUpdate({
      target: orgGenerations.orgId,
      set: {
        generation: sql`${orgGenerations.generation} + 1`,
        sharingVersion: sql`${orgGenerations.sharingVersion} + ${sharing}`,
        resources: [...resources],
        changed: sql`${orgGenerations.changed} || ${changedAt(sql`${orgGenerations.generation} + 1`)}`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ generation: orgGenerations.generation, sharingVersion: orgGenerations.sharingVersion });
  return { generation: Number(row.generation), sharingVersion: Number(row.sharingVersion) };
}

/** `bumpVersions`, answering the new generation alone (what a write returns as `X-Generation`). */
export async function bumpGeneration(db: Orm, orgId: string, resources: readonly string[]): Promise<number> {
  return (await bumpVersions(db, orgId, resources)).generation;
}
