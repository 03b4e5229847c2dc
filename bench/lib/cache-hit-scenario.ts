/**
 * The `cache-hit` scenario (BENCH.md: "`filter` repeated: answered by the edge tiers"; issue 24):
 * the `filter` request (by last_name) sent again and again without `Cache-Control: no-cache`, so
 * after its first answer a read tier answers it (src/resources/tiers.ts): the isolate's memory,
 * or the data centre's Cache API behind it. At c1
 * it takes turns with the empty route (the edge floor) and with the same request asking for
 * Postgres (`no-cache`), its reference: BENCH.md's "hit p50 ≤ 1.3 × edge floor" and "a hit ≥ 4 ×
 * faster than the DB tier" (direct mode) read those. Every answer is tallied by the tier
 * Server-Timing names, so a row whose answers did not come from the cache says so.
 */
import type { BenchContext, HttpRequest, ResponseHeaders, Scenario } from './context';
import { CONTACTS, filterSearch } from './filter-request';

export const FROM_DB_LABEL = 'filter by last_name, from Postgres (Cache-Control: no-cache)';
export const HIT_LABEL = 'filter by last_name, tier hit';
export const FROM_MEMORY = 'memory';
export const FROM_EDGE = 'edge-cache';
export const FROM_KV = 'kv';
export const FROM_DB = 'db';
/** The tallies that are hits. */
export const HITS: readonly string[] = [FROM_MEMORY, FROM_EDGE, FROM_KV];

/** What answered, from Server-Timing (a `memory`, `edge-cache` or `kv` entry on a hit). */
export function tierAnswered(headers: ResponseHeaders): string {
  const raw = headers['server-timing'];
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const hit = /(?:^|,)\s*(memory|edge-cache|kv);/.exec(text);
  return hit ? hit[1] : FROM_DB;
}

const request =
  (tiers: boolean) =>
  (ctx: BenchContext): HttpRequest => ({
    path: `${CONTACTS}?${filterSearch('last_name')}`,
    headers: { Authorization: `Bearer ${ctx.token}` },
    tiers,
    tally: tierAnswered,
  });

export const CACHE_HIT_SCENARIO: Scenario = {
  id: 'cache-hit',
  auth: true,
  probe: `${CONTACTS}?limit=1`,
  variants: [
    {
      label: FROM_DB_LABEL,
      request: request(false),
      concurrency: [1],
      notes: 'the filter request asking for Postgres: the DB tier the hit is compared with (the hit row takes turns with it)',
    },
    {
      label: HIT_LABEL,
      request: request(true),
      reference: FROM_DB_LABEL,
      notes: 'the filter request repeated: after its first answer, a read tier answers it (isolate memory, else the Cache API; no database, no connection)',
    },
  ],
};
