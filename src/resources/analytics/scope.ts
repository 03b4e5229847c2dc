import type { Context } from 'hono';
import { createDb, type Db } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import type { AppContext } from '../../http/context';
import { objectTypeOf } from '../../query/access';
import type { ResourceDef } from '../../query/resource';
import { grantsAtLeast } from '../../sharing/access';
import type { ObjectType, UserGrants } from '../../sharing/types';
import { inBackground, isolateGenerations, minGeneration } from '../tiers';

/**
 * Which part of a rollup kept at owner grain a caller may read (decision 0052), or undefined
 * when a rollup cannot answer them and the live path must:
 * - `all`: they read every record of the type (admins, public defaults): the org's totals;
 * - `owners`: their access is owners only (themself, reports, owner rules): the sum over those
 *   owners, unless manual shares add records (checked by `shared`, in the caller's statement).
 * Criteria rules widen access by record content, which a per-owner count cannot follow.
 * Generations and grants come as the read tiers get them: isolate memory or the org's object,
 * never older than the tiers' bound; `current` is the generation of `sources` now.
 */
export type RollupScope = { current: number; type: ObjectType; grants: UserGrants } & (
  | { kind: 'all' }
  | { kind: 'owners'; owners: string[]; shared: (first: number) => { sql: string; values: string[] } }
);

export async function rollupScope(c: Context<AppContext>, resource: ResourceDef, sources: readonly string[]): Promise<RollupScope | undefined> {
  const type = objectTypeOf(resource);
  if (!type) return undefined;
  const reading = await isolateGenerations(c.env)
    .read(c.var.auth.orgId, { minGeneration: minGeneration(c) })
    .catch(() => undefined);
  if (!reading) return undefined;
  const current = Math.max(0, ...sources.map((r) => reading.generations.changed[r] ?? 0));
  const { grants } = await grantsAtLeast(c.env, c.var.auth, reading.generations.sharingVersion);
  const g = grants.objects[type];
  if (g.all !== 'none') return { current, type, grants, kind: 'all' };
  if (g.criteria.length || !g.readOwners.length) return undefined;
  const { userId, teamId } = g.shares;
  // Whether manual shares give the caller any record of the type (the access predicate's grantee condition).
  const shared = (first: number) => {
    const grantee = teamId
      ? `((sh.grantee_type = 'user' and sh.grantee_id = $${first}::uuid) or (sh.grantee_type = 'team' and sh.grantee_id = $${first + 1}::uuid))`
      : `(sh.grantee_type = 'user' and sh.grantee_id = $${first}::uuid)`;
    return {
      sql: `exists (select 1 from record_shares sh where sh.org_id = $1 and sh.object_type = '${type}' and ${grantee})`,
      values: teamId ? [userId, teamId] : [userId],
    };
  };
  return { current, type, grants, kind: 'owners', owners: g.readOwners, shared };
}

/**
 * A stale rollup answers only for more rows than this: below it the live statement is cheap, and
 * exact, so small orgs always read what they just wrote.
 */
export const ROLLUP_LIVE_ROWS = 50_000;

/** Refreshes this isolate already asked for, by key: one at a time, at most once a minute. */
const refreshing = new Map<string, number>();

/**
 * Stale-while-revalidate for a rollup this request served: when it is stale and older than
 * `maxAgeMs`, `compute` runs after the response on a connection of its own (once a minute per
 * key and isolate at most; an overlapping run elsewhere is skipped by the rollup's own lock).
 */
export function revalidate(
  c: Context<AppContext>,
  key: string,
  rollup: { computedAt: string; stale: boolean },
  maxAgeMs: number,
  compute: (db: Db, env: AppEnv) => Promise<unknown>,
): void {
  if (!shouldRevalidate(key, rollup, maxAgeMs)) return;
  const { env } = c;
  const work = async () => {
    const db = createDb(env, () => {}, { connectTimeoutMs: readVars(env).CONNECT_TIMEOUT_MS });
    try {
      await compute(db, env);
    } finally {
      await db.close();
    }
  };
  void inBackground(c, work());
}

/** Whether a stale rollup past its policy should be recomputed now (stale-while-revalidate), remembering the ask. */
export function shouldRevalidate(key: string, rollup: { computedAt: string; stale: boolean }, maxAgeMs: number): boolean {
  if (!rollup.stale || Date.now() - Date.parse(rollup.computedAt) < maxAgeMs) return false;
  if ((refreshing.get(key) ?? 0) > Date.now() - 60_000) return false;
  if (refreshing.size > 10_000) refreshing.clear();
  refreshing.set(key, Date.now());
  return true;
}
