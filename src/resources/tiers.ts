import type { Context, TypedResponse } from 'hono';
import { setMetric } from 'hono/timing';
import type { JSONParsed } from 'hono/utils/types';
import { LRUCache } from 'lru-cache';
import { createGenerationClock, type GenerationClock, type GenerationReading, generationFor, writtenGeneration } from '../cache/generations';
import { CACHE_POLICY } from '../cache/isolate';
import { AppError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import { type AppEnv, readVars } from '../env';
import type { AppContext } from '../http/context';
import type { ListRequest } from '../query/ast';
import { resignCursor } from '../query/execute';
import type { ResourceDef } from '../query/resource';
import { grantsAtLeast } from '../sharing/access';
import { canonicalJson } from '../sharing/fingerprint';
import { orgObject } from '../sharing/org-do';
import type { UserGrants } from '../sharing/types';
import { CATALOG } from './registry';
import { rangeHeader } from './render';
import type { Page } from './schema';

/**
 * The read tiers in front of Postgres (DESIGN §6, decisions 0043, 0044): isolate memory and the
 * Cache API.
 * An answer is stored under a key made of the normalised request, the generation of every
 * resource it reads, and the caller's access fingerprint, so a hit across orgs, across different
 * access, or from before a write the reader knows of is impossible by construction: correctness
 * comes from the key, never from purging (Cache API entries cannot be purged across data
 * centres). The generations come from the isolate's copy (no older than GENERATION_MAX_AGE_MS)
 * or the org's Durable Object; a hit touches no database.
 */

/** How a read route may be served from the tiers, declared beside the route. */
export interface TierPolicy {
  /** Seconds an entry is kept in the data centre's Cache API (the key, not this, decides freshness). */
  edgeTtlSeconds: number;
}

/** Lists and JSON-form queries. */
export const LIST_POLICY: TierPolicy = { edgeTtlSeconds: 60 };

let clock: GenerationClock | undefined;

/** The isolate's generation clock, asking the org's Durable Object when its copy is too old. */
export function isolateGenerations(env: AppEnv): GenerationClock {
  clock ??= createGenerationClock({
    maxAgeMs: readVars(env).GENERATION_MAX_AGE_MS,
    fetch: (orgId, min) => orgObject(env, orgId).generations(orgId, min),
    floor: writtenGeneration,
  });
  return clock;
}

/** `X-Min-Generation`: a generation a write answered (`X-Generation`); anything else is a 400. */
export function minGeneration(c: Context<AppContext>): number {
  const raw = c.req.header('X-Min-Generation');
  if (raw === undefined) return 0;
  if (!/^\d{1,15}$/.test(raw.trim()))
    throw new AppError('invalid_query', 'X-Min-Generation must be a generation a write answered (X-Generation): a whole number.', [
      { path: 'X-Min-Generation', message: 'not a whole number' },
    ]);
  return Number(raw.trim());
}

/**
 * Every resource an answer may read: the resource, what its relations reach (its select embeds
 * them, a filter may go through them, and an embed shows its target's own relations), and the
 * manual shares, which the access condition reads live. Over-listing only makes entries move
 * sooner.
 */
export function resourcesRead(resource: ResourceDef): ReadonlySet<string> {
  let out = READ.get(resource);
  if (!out) {
    out = readSet(resource);
    READ.set(resource, out);
  }
  return out;
}

/** Per resource, once: the catalog does not change while the isolate lives. */
const READ = new WeakMap<ResourceDef, ReadonlySet<string>>();

function readSet(resource: ResourceDef): Set<string> {
  const out = new Set<string>([resource.name, 'record_shares']);
  for (const rel of Object.values(resource.relations)) {
    out.add(rel.target);
    const target = CATALOG[rel.target];
    for (const t of Object.values(target?.relations ?? {})) out.add(t.target);
  }
  return out;
}

/** The entry's URL in the Cache API: a hash of everything the answer depends on. */
async function entryUrl(parts: { orgId: string; fingerprint: string; generation: number; resource: string; req: ListRequest }): Promise<string> {
  return `https://tiers.crm.invalid/v1/${await sha256Hex(canonicalJson({ v: 1, ...parts }))}`;
}

const STORED_AT = 'X-Tier-Stored-At';
const STORED_META = 'X-Tier-Meta';
const STORED_RANGE = 'X-Tier-Content-Range';
const STORED_PAGE = 'X-Tier-Page';

/** A list route's typed answer (what `c.json(page, 200)` types). */
type PageResponse = TypedResponse<JSONParsed<Page>, 200, 'json'>;

/**
 * An answer as the tiers hold it: the page's data (and count) as JSON, its `page` object (whose
 * cursor is signed again for each caller), the meta fields that belong to the answer (search
 * mode), its Content-Range, and when it was stored. `meta` and `page` are rendered per request.
 */
interface Entry {
  body: string;
  page: Page['page'];
  meta: Pick<Page['meta'], 'searchMode'>;
  contentRange: string;
  storedAt: number;
}

/** Tier 1: a few hot answers in the isolate's memory, bounded in bytes (CACHE_POLICY.pages). */
const pages = new LRUCache<string, Entry>({
  max: CACHE_POLICY.pages.max,
  maxSize: CACHE_POLICY.pages.maxBytes,
  sizeCalculation: (e) => e.body.length * 2 + 200,
  ttl: CACHE_POLICY.pages.ttlMs,
});

/** Empties the isolate tier (tests that look at the Cache API behind it). */
export function clearPageTier(): void {
  pages.clear();
}

/** The response for an entry: its stored JSON with this request's page and meta, not parsed again. */
async function answer(c: Context<AppContext>, resource: ResourceDef, req: ListRequest, entry: Entry, tier: 'memory' | 'edge-cache'): Promise<PageResponse> {
  const meta: Page['meta'] = {
    requestId: c.var.requestId,
    tier,
    stale: false,
    ageMs: Math.max(0, Date.now() - entry.storedAt),
    queryMs: 0,
    totalMs: 0,
    queries: 0,
    ...entry.meta,
  };
  const page = entry.page.nextCursor
    ? { ...entry.page, nextCursor: await resignCursor(readVars(c.env).JWT_SECRET, entry.page.nextCursor, resource, req, c.var.auth) }
    : entry.page;
  setMetric(c, tier, 0, 'hit');
  const text = `${entry.body.slice(0, -1)},"page":${JSON.stringify(page)},"meta":${JSON.stringify(meta)}}`;
  // The same JSON c.json would send for the page (keys in another order), assembled from the stored text.
  return c.body(text, 200, { 'Content-Type': 'application/json', 'Content-Range': entry.contentRange }) as unknown as PageResponse;
}

/**
 * A list read through the tiers: isolate memory, then the data centre's Cache API, under the
 * current key; else `run` (Postgres, under the caller's grants), whose answer is stored in both
 * for the next reader. Without generations (the object unreachable) the read goes to Postgres
 * and nothing is stored.
 */
export async function tieredList(
  c: Context<AppContext>,
  resource: ResourceDef,
  req: ListRequest,
  policy: TierPolicy,
  run: () => Promise<{ page: Page; grants: UserGrants | undefined }>,
): Promise<PageResponse> {
  const min = minGeneration(c);
  const { auth } = c.var;
  let reading: GenerationReading | undefined;
  try {
    reading = await isolateGenerations(c.env).read(auth.orgId, { minGeneration: min });
  } catch (err) {
    c.var.services.log('warn', 'generations unavailable: read tiers skipped', { error: String(err) });
  }
  // Postgres itself has not reached what the client names (a made-up number): no tier can help.
  const usable = reading && reading.generations.generation >= min ? reading : undefined;
  if (usable) setMetric(c, 'generations', 0, usable.source);
  const generation = usable ? generationFor(usable.generations, resourcesRead(resource)) : 0;
  const key = (fingerprint: string) => entryUrl({ orgId: auth.orgId, fingerprint, generation, resource: resource.name, req });

  // A client's `Cache-Control: no-cache` (or `no-store`) asks for Postgres: no entry is used;
  // the fresh answer is stored for others unless `no-store`.
  const asked = c.req.header('Cache-Control') ?? '';
  const bypass = /\bno-(cache|store)\b/i.test(asked);
  const store = !/\bno-store\b/i.test(asked);
  if (usable && !bypass) {
    // The caller's grants at the sharing version the generations name: from memory, or the
    // org's object for a caller this isolate has not seen since the last change (no Postgres).
    const { grants: held, source, ms } = await grantsAtLeast(c.env, auth, usable.generations.sharingVersion);
    setMetric(c, 'access', ms, source);
    const url = await key(held.fingerprint);
    const inMemory = pages.get(url);
    if (inMemory) return answer(c, resource, req, inMemory, 'memory');
    const hit = await caches.default.match(url);
    if (hit) {
      const entry: Entry = {
        body: await hit.text(),
        page: JSON.parse(hit.headers.get(STORED_PAGE) ?? '{}'),
        meta: JSON.parse(hit.headers.get(STORED_META) ?? '{}'),
        contentRange: hit.headers.get(STORED_RANGE) ?? '',
        storedAt: Number(hit.headers.get(STORED_AT)),
      };
      pages.set(url, entry);
      return answer(c, resource, req, entry, 'edge-cache');
    }
  }
  const { page, grants } = await run();
  // Stored under the grants the read ran with (they may be newer than those held before).
  if (usable && grants && store) {
    const { meta, page: paging, ...rest } = page;
    const entry: Entry = {
      body: JSON.stringify(rest),
      page: paging,
      meta: meta.searchMode ? { searchMode: meta.searchMode } : {},
      contentRange: contentRange(page),
      storedAt: Date.now(),
    };
    const putting = key(grants.fingerprint).then((url) => {
      pages.set(url, entry);
      return caches.default.put(
        url,
        new Response(entry.body, {
          headers: {
            'Content-Type': 'application/json',
            'Cache-Control': `max-age=${policy.edgeTtlSeconds}`,
            [STORED_AT]: String(entry.storedAt),
            [STORED_META]: JSON.stringify(entry.meta),
            [STORED_PAGE]: JSON.stringify(entry.page),
            [STORED_RANGE]: entry.contentRange,
          },
        }),
      );
    });
    try {
      c.executionCtx.waitUntil(putting.catch(() => {}));
    } catch {
      await putting.catch(() => {});
    }
  }
  return c.json(page, 200) as PageResponse;
}

/** The Content-Range of a rendered page (as renderList sets it). */
function contentRange(page: Page): string {
  return rangeHeader(page.page.offset ?? 0, page.data.length, page.count?.value);
}
