import { LRUCache } from 'lru-cache';
import type { USER_ROLES } from '../core/enums';

/**
 * Tier 0: what one isolate remembers across requests. Every bound is stated here, once; the
 * query layer receives these caches through its context and holds no state of its own.
 *
 * - `estimates`: planner row estimates of a count's FROM/WHERE (and its values; the org id is
 *   $1, so entries are tenant-scoped). An estimate is approximate by nature, so a client paging
 *   through one result reuses it for a few seconds instead of planning again. Exact counts are
 *   never cached.
 * - `verdicts`: the cost guard's EXPLAIN total cost per statement shape (statement text, its
 *   org, and the page size/offset), so a hot risky shape pays for EXPLAIN once a minute.
 * - `users`: a token's user as the database has it (org, role, active), or that there is no
 *   such user, by user id, so a caller costs one indexed statement per 30 s per isolate and a
 *   flood of tokens naming missing or inactive users costs no more. A user deactivated, moved
 *   or given another role is seen so within this bound (the sharing issue's OrgDO will carry
 *   invalidation sooner).
 * - `grants`: users' compiled sharing grants (src/sharing/access.ts), by org and user. No TTL:
 *   every request reads the org's sharing version and an entry of an older version is not used,
 *   so the bound is memory only, in approximate bytes (a manager's grants list their reports).
 * - `orgGrants`: the same inside an org's Durable Object (src/sharing/org-do.ts), by user, for the
 *   snapshot it holds; cleared when the snapshot changes.
 * - `pages`: the read tiers' hottest answers (src/resources/tiers.ts), under the same keys as the
 *   Cache API (generation and access fingerprint in them), bounded in bytes; the TTL only frees
 *   memory, the key decides freshness.
 * - `tokens`: bearer tokens already verified (src/http/auth.ts), by secret and token: a repeated
 *   token skips the signature check; its time bounds are checked on every use.
 * - `rollups`: an org's facet totals as the cron wrote them to KV (src/resources/analytics/
 *   facets.ts), by org and resource: a recomputed rollup is seen within the TTL; whether it is
 *   stale is judged per request against the current generation.
 */
export const CACHE_POLICY = {
  estimates: { max: 1000, ttlMs: 10_000 },
  verdicts: { max: 1000, ttlMs: 60_000 },
  users: { max: 10_000, ttlMs: 30_000 },
  grants: { max: 10_000, maxBytes: 16 * 1024 * 1024 },
  orgGrants: { max: 10_000, maxBytes: 32 * 1024 * 1024 },
  pages: { max: 500, maxBytes: 8 * 1024 * 1024, ttlMs: 60_000 },
  tokens: { max: 5000 },
  rollups: { max: 1000, ttlMs: 10_000 },
} as const;

/** A bounded, expiring map of numbers (least recently used entries go first). */
export interface Memo {
  get(key: string): number | undefined;
  set(key: string, value: number): void;
}

export interface QueryCaches {
  estimates: Memo;
  verdicts: Memo;
}

/** A clock for tests that control time (never 0: lru-cache reads a start of 0 as "no expiry"); production uses performance.now(). */
export interface Clock {
  now(): number;
}

export function createMemo(policy: { max: number; ttlMs: number }, clock?: Clock): Memo {
  const lru = new LRUCache<string, number>({ max: policy.max, ttl: policy.ttlMs, ...(clock ? { perf: clock, ttlResolution: 0 } : {}) });
  return {
    get: (key) => lru.get(key),
    set: (key, value) => void lru.set(key, value),
  };
}

export function createQueryCaches(clock?: Clock): QueryCaches {
  return { estimates: createMemo(CACHE_POLICY.estimates, clock), verdicts: createMemo(CACHE_POLICY.verdicts, clock) };
}

let shared: QueryCaches | undefined;

/** The isolate's caches, made on first use and kept for the isolate's life. */
export function isolateCaches(): QueryCaches {
  shared ??= createQueryCaches();
  return shared;
}

/** A token's user as the database has it. */
export interface CallerRecord {
  orgId: string;
  role: (typeof USER_ROLES)[number];
  active: boolean;
}

/** Users by id: `undefined` when not remembered (or expired), `null` when remembered as missing. */
export interface UserMemo {
  get(userId: string): CallerRecord | null | undefined;
  set(userId: string, user: CallerRecord | null): void;
}

export function createUserMemo(policy: { max: number; ttlMs: number } = CACHE_POLICY.users, clock?: Clock): UserMemo {
  // Boxed: lru-cache takes no null values, and a miss is worth remembering.
  const lru = new LRUCache<string, { user: CallerRecord | null }>({
    max: policy.max,
    ttl: policy.ttlMs,
    ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
  });
  return {
    get: (userId) => lru.get(userId)?.user,
    set: (userId, user) => void lru.set(userId, { user }),
  };
}

let sharedUsers: UserMemo | undefined;

/** The isolate's user cache, made on first use and kept for the isolate's life. */
export function isolateUsers(): UserMemo {
  sharedUsers ??= createUserMemo();
  return sharedUsers;
}
