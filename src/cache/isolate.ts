import { LRUCache } from 'lru-cache';

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
 */
export const CACHE_POLICY = {
  estimates: { max: 1000, ttlMs: 10_000 },
  verdicts: { max: 1000, ttlMs: 60_000 },
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
