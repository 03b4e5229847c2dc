import { CACHE_POLICY } from '../cache/isolate';
import type { Auth } from '../core/auth';
import { AppError } from '../core/errors';
import type { Db } from '../db/client';
import type { AppEnv } from '../env';
import { createGrantsMemo, type GrantsMemo } from './grants-memo';
import { orgObject } from './org-do';
import { readSharingVersion } from './snapshot';
import type { UserGrants } from './types';

/** What answered: the isolate's memory, or the org's Durable Object (for meta and Server-Timing). */
export type GrantsSource = 'memory' | 'durable-object';

export interface GrantsAnswer {
  grants: UserGrants;
  source: GrantsSource;
  /** Milliseconds spent waiting for the org's Durable Object (0 from memory): Server-Timing's `access` entry. */
  ms: number;
}

let shared: GrantsMemo | undefined;

/** The isolate's compiled grants, by org and user, made on first use and kept for the isolate's life. */
export function isolateGrants(): GrantsMemo {
  shared ??= createGrantsMemo(CACHE_POLICY.grants);
  return shared;
}

/**
 * The caller's grants on the request path. One short statement on the request's own connection
 * reads the org's sharing version (the query layer can pipeline it with the page); grants this
 * isolate compiled at that version or later answer from memory, anything older is not used. Only
 * then is the org's Durable Object asked, for grants at least that new. A revocation therefore
 * shows on the very next request, and a hot org's object is called about once per change and
 * isolate.
 *
 * Concurrent misses of one user are not merged into one call: the RPC belongs to the request
 * that made it, and when that request ends first (its client went away) workerd cancels the
 * continuations of every other request awaiting it. Each missing request asks for itself (the
 * burst right after a change, bounded by the isolate's concurrency; the object loads and compiles
 * once); the first answer stored serves every later request. Admins take the same path:
 * their grants are as cheap to compile and to hold.
 */
export async function grantsFor(env: AppEnv, db: Db, auth: Auth, memo: GrantsMemo = isolateGrants()): Promise<GrantsAnswer> {
  return grantsAtLeast(env, auth, await readSharingVersion(db, auth.orgId), memo);
}

/**
 * The caller's grants compiled at `version` or later, from isolate memory or else the org's
 * Durable Object, without reading Postgres: for callers that already know the org's sharing
 * version (the read tiers learn it with the generations).
 */
export async function grantsAtLeast(env: AppEnv, auth: Auth, version: number, memo: GrantsMemo = isolateGrants()): Promise<GrantsAnswer> {
  const key = `${auth.orgId}:${auth.userId}`;
  const held = memo.get(key);
  if (held && held.version >= version) return { grants: held, source: 'memory', ms: 0 };

  // The RPC is I/O, so the Worker's clock advances across it: this is the object's real cost.
  const asked = performance.now();
  const grants = await askOrg(env, auth, version);
  const ms = performance.now() - asked;
  // Another request may have stored newer grants meanwhile: never replace them with older ones.
  const now = memo.get(key);
  if (!now || now.version <= grants.version) memo.set(key, grants);
  return { grants, source: 'durable-object', ms };
}

async function askOrg(env: AppEnv, auth: Auth, version: number): Promise<UserGrants> {
  try {
    return await orgObject(env, auth.orgId).grants(auth.orgId, auth.userId, version);
  } catch (err) {
    // Whatever failed inside (its Postgres, an overloaded or restarting object) arrives here
    // as a plain Error: the caller's access is unknown, so nothing may be served.
    const unavailable = new AppError('service_unavailable', 'Access rules could not be loaded; retry shortly.');
    unavailable.cause = err;
    throw unavailable;
  }
}

/**
 * Runs `run` under the caller's grants, as `grantsFor` decides them, without a round trip of its
 * own when this isolate already holds the caller's grants: the version statement is sent first
 * and `run`'s statements follow it on the same connection (pipelined, one round trip). If the
 * version turns out newer than the grants `run` used, its answer is dropped and it runs again
 * under the new grants, so a revocation still shows on the very next request.
 */
export async function withGrants<T>(
  env: AppEnv,
  db: Db,
  auth: Auth,
  run: (grants: UserGrants) => Promise<T>,
  memo: GrantsMemo = isolateGrants(),
): Promise<{ result: T; source: GrantsSource; ms: number }> {
  const held = memo.get(`${auth.orgId}:${auth.userId}`);
  if (held) {
    const version = readSharingVersion(db, auth.orgId);
    // `run` may throw before returning its promise (a body refused while building the request):
    // the version statement is still awaited below, never left unobserved.
    const answer = (async () => run(held))();
    // Settled before anything is rethrown: the answer's failure matters only under current grants.
    const [v, out] = await Promise.allSettled([version, answer]);
    if (v.status === 'rejected') throw v.reason;
    if (v.value <= held.version) {
      if (out.status === 'rejected') throw out.reason;
      return { result: out.value, source: 'memory', ms: 0 };
    }
  }
  const { grants, source, ms } = await grantsFor(env, db, auth, memo);
  return { result: await run(grants), source, ms };
}
