import type { Context } from 'hono';
import { setMetric } from 'hono/timing';
import { LRUCache } from 'lru-cache';
import { createGenerationClock, type GenerationClock, type GenerationReading, generationFor, writtenGeneration } from '../cache/generations';
import { CACHE_POLICY, type Clock } from '../cache/isolate';
import { AppError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import { type AppEnv, readVars } from '../env';
import type { AppContext } from '../http/context';
import { answerRevalidatably } from '../http/headers';
import { toleratesStale } from '../http/services';
import type { ResourceDef } from '../query/resource';
import { grantsAtLeast } from '../sharing/access';
import { canonicalJson } from '../sharing/fingerprint';
import { orgObject } from '../sharing/org-do';
import type { UserGrants } from '../sharing/types';
import { CATALOG } from './registry';

/**
 * The read tiers in front of Postgres (DESIGN §6, decisions 0043–0045): isolate memory, the data
 * centre's Cache API, Workers KV.
 * An answer is stored under a key made of the normalised request, the generation of every
 * resource it reads, and the caller's access fingerprint, so a hit across orgs, across different
 * access, or from before a write the reader knows of is impossible by construction: correctness
 * comes from the key, never from purging (Cache API entries cannot be purged across data
 * centres, KV is eventually consistent). The generations come from the isolate's copy (no older
 * than GENERATION_MAX_AGE_MS since Postgres had it) or the org's Durable Object; a hit touches
 * no database.
 */

/** Which tier answered (`meta.tier`). */
export type Tier = 'memory' | 'edge-cache' | 'kv' | 'db';

/** How a read route may be served from the tiers, declared beside the route. */
export interface TierPolicy {
  /** Isolate memory keeps the route's hottest answers (bounded by CACHE_POLICY.pages). */
  memory: boolean;
  /** Seconds an entry is kept in the data centre's Cache API; 0: not stored there. */
  edgeTtlSeconds: number;
  /**
   * Seconds an entry is kept in Workers KV (global; at least 60); 0: not stored there. An entry
   * is written to KV on its second read (a hot answer), not on every miss.
   */
  kvTtlSeconds: number;
}

/**
 * An answer as the tiers hold it: its bulk as JSON text (rows, a record), spliced into each
 * response without being parsed again; the small parts each route renders per request (paging,
 * counts, a version); its entity tag; and when Postgres answered it.
 */
export interface TierEntry {
  text: string;
  info: Record<string, unknown>;
  etag: string;
  storedAt: number;
}

/** An entry and the tier that answered it; `own` when this request's own read made it. */
export interface Served {
  entry: TierEntry;
  tier: Tier;
  own: boolean;
  /** How old the entry is: since Postgres answered it. */
  ageMs: number;
}

/** What a route's Postgres read gives the tiers: the entry's parts and the grants it ran under. */
export interface Loaded {
  text: string;
  info: Record<string, unknown>;
  /** The route's own entity tag (a record's version); else one is made from text and info. */
  etag?: string;
  grants: UserGrants | undefined;
}

export interface TieredRead {
  policy: TierPolicy;
  /** The resource read: its generation (and its relations') keys the entry. */
  resource: ResourceDef;
  /** The normalised request, with the route kind: equal keys must mean equal answers. */
  key: Record<string, unknown>;
  load: () => Promise<Loaded>;
  render: (served: Served) => Response | Promise<Response>;
}

let clock: GenerationClock | undefined;
let clockSource: Clock | undefined;

/** The isolate's generation clock, asking the org's Durable Object when its copy is too old. */
export function isolateGenerations(env: AppEnv): GenerationClock {
  clock ??= createGenerationClock({
    maxAgeMs: readVars(env).GENERATION_MAX_AGE_MS,
    fetch: (orgId, min) => orgObject(env, orgId).generations(orgId, min),
    floor: writtenGeneration,
    ...(clockSource ? { clock: clockSource } : {}),
  });
  return clock;
}

/**
 * Tests only: the generation clock reads time from `source` (the staleness bound is tested
 * through the Worker with a controlled clock); undefined restores performance.now(). The
 * isolate's copies of generations are dropped either way.
 */
export function useGenerationClock(source: Clock | undefined): void {
  clockSource = source;
  clock = undefined;
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
 * them, a filter may go through them, and an embed shows its target's own relations), what its
 * computed columns count, and the manual shares, which the access condition reads live.
 * Over-listing only makes entries move sooner.
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
  // A computed count (`deal_count`) reads its target's rows.
  for (const c of Object.values(resource.computed ?? {})) out.add(c.target);
  return out;
}

/** An entry's key: a hash of everything its answer depends on (its URL in the Cache API, its KV key). */
async function entryKey(parts: { orgId: string; fingerprint: string; generation: number; resource: string; req: Record<string, unknown> }): Promise<string> {
  const canonical = canonicalJson(parts);
  // A hot key's hash is remembered: a repeated request (a hit) does not hash again.
  let url = hashed.get(canonical);
  if (!url) {
    url = `https://tiers.crm.invalid/v2/${await sha256Hex(canonical)}`;
    hashed.set(canonical, url);
  }
  return url;
}

/** The keys' hashes by their canonical text, for the hottest keys (CACHE_POLICY.pages.max of them). */
const hashed = new LRUCache<string, string>({ max: CACHE_POLICY.pages.max });

/** Tier 1: a few hot answers in the isolate's memory, bounded in bytes (CACHE_POLICY.pages). */
const pages = new LRUCache<string, TierEntry>({
  max: CACHE_POLICY.pages.max,
  maxSize: CACHE_POLICY.pages.maxBytes,
  sizeCalculation: (e) => e.text.length * 2 + 400,
  ttl: CACHE_POLICY.pages.ttlMs,
});

/** Keys this isolate wrote to KV (or found there): written once per isolate, on the second read. */
const inKv = new LRUCache<string, true>({ max: 10_000 });

/** Empties the isolate tier (tests that look at the Cache API and KV behind it). */
export function clearPageTier(): void {
  pages.clear();
  inKv.clear();
}

/** Tests: empties isolate memory and removes the Cache API entries this isolate stored, so KV behind them answers. */
export async function forgetTierEntries(): Promise<void> {
  clearPageTier();
  await Promise.all([...edgeKeys.keys()].map((url) => caches.default.delete(url)));
  edgeKeys.clear();
}

/**
 * Stored form, in the Cache API and in KV: one line of JSON (entity tag, parts, time), a newline
 * (JSON.stringify never writes one), then the text. Reading it back parses the small line only.
 */
function encodeEntry(e: TierEntry): string {
  return `${JSON.stringify({ etag: e.etag, info: e.info, storedAt: e.storedAt })}\n${e.text}`;
}

function decodeEntry(raw: string): TierEntry {
  const cut = raw.indexOf('\n');
  const head = JSON.parse(raw.slice(0, cut)) as Omit<TierEntry, 'text'>;
  return { ...head, text: raw.slice(cut + 1) };
}

/** A weak entity tag of an answer's content (its per-request parts, like meta, aside). */
async function contentTag(text: string, info: Record<string, unknown>): Promise<string> {
  return `W/"${(await sha256Hex(`${text}\n${canonicalJson(info)}`)).slice(0, 32)}"`;
}

/** Whether If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2). */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** A promise the platform keeps alive after the response (waitUntil), or awaited where there is none. */
export async function inBackground(c: Context<AppContext>, work: Promise<unknown>): Promise<void> {
  const quiet = work.catch(() => {});
  try {
    c.executionCtx.waitUntil(quiet);
  } catch {
    await quiet;
  }
}

/** Looks the key up in memory, the Cache API and KV, in that order; a lower tier's hit fills the ones above. */
async function lookup(c: Context<AppContext>, policy: TierPolicy, url: string): Promise<{ entry: TierEntry; tier: Tier } | undefined> {
  const kv = policy.kvTtlSeconds > 0 ? c.env.TIERS : undefined;
  if (policy.memory) {
    const held = pages.get(url);
    if (held) {
      setMetric(c, 'memory', 0, 'hit');
      if (kv) promote(c, kv, policy, url, held);
      return { entry: held, tier: 'memory' };
    }
  }
  if (policy.edgeTtlSeconds > 0) {
    const asked = performance.now();
    const hit = await caches.default.match(url);
    if (hit) {
      const entry = decodeEntry(await hit.text());
      setMetric(c, 'edge-cache', performance.now() - asked, 'hit');
      if (policy.memory) pages.set(url, entry);
      if (kv) promote(c, kv, policy, url, entry);
      return { entry, tier: 'edge-cache' };
    }
    setMetric(c, 'edge-cache-miss', performance.now() - asked);
  }
  if (kv) {
    const asked = performance.now();
    // KV's own edge cache may keep the value this long: keys never change meaning, so it may.
    const raw = await kv.get(kvKey(url), { type: 'text', cacheTtl: Math.max(30, policy.kvTtlSeconds) });
    if (raw !== null) {
      const entry = decodeEntry(raw);
      setMetric(c, 'kv', performance.now() - asked, 'hit');
      inKv.set(url, true);
      if (policy.memory) pages.set(url, entry);
      if (policy.edgeTtlSeconds > 0) void inBackground(c, putEdge(policy, url, entry));
      return { entry, tier: 'kv' };
    }
    setMetric(c, 'kv-miss', performance.now() - asked);
  }
  return undefined;
}

const kvKey = (url: string) => `tier:${url.slice(url.lastIndexOf('/') + 1)}`;

/** An entry read a second time in this isolate goes to KV, for other data centres (once per isolate). */
function promote(c: Context<AppContext>, kv: KVNamespace, policy: TierPolicy, url: string, entry: TierEntry): void {
  if (inKv.has(url)) return;
  inKv.set(url, true);
  // At most one write per second per key is accepted: a refused one changes nothing here.
  void inBackground(c, kv.put(kvKey(url), encodeEntry(entry), { expirationTtl: Math.max(60, policy.kvTtlSeconds) }));
}

/** Entries this isolate put in the Cache API, so that tests can remove them (forgetTierEntries). */
const edgeKeys = new LRUCache<string, true>({ max: 1000 });

function putEdge(policy: TierPolicy, url: string, entry: TierEntry): Promise<void> {
  edgeKeys.set(url, true);
  return caches.default.put(
    url,
    new Response(encodeEntry(entry), { headers: { 'Content-Type': 'text/plain', 'Cache-Control': `max-age=${policy.edgeTtlSeconds}` } }),
  );
}

/**
 * Misses in flight in this isolate, by key: later requests for the same key wait for the first
 * one's answer instead of asking Postgres again. workerd lets no request resolve a promise
 * another request awaits (nor touch its timers), so the answer is handed over as plain data in
 * a shared slot, which each waiter polls on its own timer, for a bounded time: if the first
 * request is cancelled (its client went away) its continuation never runs, and the waiters then
 * read for themselves.
 */
interface Slot {
  /** performance.now() when the read began: a slot older than COALESCE_WAIT_MS is abandoned. */
  startedAt: number;
  done: boolean;
  /** The answer, when it was read under the access the key names; else the waiters read themselves. */
  entry?: TierEntry;
}
const inFlight = new Map<string, Slot>();

/** How long a request waits for another request's read of the same key before reading itself, and how often it looks. */
const COALESCE_WAIT_MS = 2000;
const COALESCE_POLL_MS = 2;

async function awaitLeader(slot: Slot): Promise<TierEntry | undefined> {
  while (!slot.done && performance.now() - slot.startedAt < COALESCE_WAIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, COALESCE_POLL_MS));
  }
  return slot.entry;
}

/**
 * A read through the tiers: under the current key, isolate memory, then the Cache API, then KV;
 * else the route's own Postgres read (`load`, under the caller's grants), coalesced with the same
 * key's reads already in flight here, and stored for the next reader. Without generations (the
 * org's object unreachable) the read goes to Postgres and nothing is stored. Every answer carries
 * its ETag (If-None-Match → 304) and `Cache-Control: private, no-cache`.
 */
export async function throughTiers(c: Context<AppContext>, read: TieredRead): Promise<Response> {
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
  const generation = usable ? generationFor(usable.generations, resourcesRead(read.resource)) : 0;
  const keyFor = usable
    ? (fingerprint: string) => entryKey({ orgId: auth.orgId, fingerprint, generation, resource: read.resource.name, req: read.key })
    : undefined;

  // A client's `Cache-Control: no-cache` (or `no-store`) asks for Postgres: no entry is used;
  // the fresh answer is stored for others unless `no-store`.
  // A read that tolerates staleness went through Hyperdrive's query cache (toleratesStale): its
  // answer may be older than the generation in the key, so it is never stored.
  const asked = c.req.header('Cache-Control') ?? '';
  const bypass = /\bno-(cache|store)\b/i.test(asked);
  const store = !/\bno-store\b/i.test(asked) && !toleratesStale(c.req.raw);
  let url: string | undefined;
  let served: Served | undefined;
  if (usable && keyFor && !bypass) {
    // The caller's grants at the sharing version the generations name: from memory, or the
    // org's object for a caller this isolate has not seen since the last change (no Postgres).
    const { grants: held, source, ms } = await grantsAtLeast(c.env, auth, usable.generations.sharingVersion);
    setMetric(c, 'access', ms, source);
    url = await keyFor(held.fingerprint);
    const hit = await lookup(c, read.policy, url);
    if (hit) served = { ...hit, own: false, ageMs: Math.max(0, Date.now() - hit.entry.storedAt) };
  }
  served ??= await miss(c, read, url, keyFor, store);
  // Rendered first: a route may still refuse the answer (PostgREST's `.single()` over two rows).
  const res = await read.render(served);
  answerRevalidatably(c);
  const { etag } = served.entry;
  if (notModified(c.req.header('If-None-Match'), etag)) return c.body(null, 304, { ETag: etag, Vary: 'Authorization' });
  res.headers.set('ETag', etag);
  res.headers.append('Vary', 'Authorization');
  return res;
}

async function miss(
  c: Context<AppContext>,
  read: TieredRead,
  url: string | undefined,
  keyFor: ((fingerprint: string) => Promise<string>) | undefined,
  store: boolean,
): Promise<Served> {
  const waiting = url ? inFlight.get(url) : undefined;
  if (waiting) {
    const asked = performance.now();
    const entry = await awaitLeader(waiting);
    if (entry) {
      setMetric(c, 'coalesced', performance.now() - asked);
      return { entry, tier: 'db', own: false, ageMs: Math.max(0, Date.now() - entry.storedAt) };
    }
  }
  // A slot whose reader never finished (cancelled with its client) is taken over.
  if (url !== undefined && waiting && !waiting.done && inFlight.get(url) === waiting) inFlight.delete(url);
  const slot: Slot = { startedAt: performance.now(), done: false };
  // A read that stores nothing (no-store, or through Hyperdrive's cache) shares nothing either.
  const leads = store && url !== undefined && !inFlight.has(url);
  if (leads) inFlight.set(url, slot);
  const release = (entry: TierEntry | undefined) => {
    if (!leads || url === undefined) return;
    if (inFlight.get(url) === slot) inFlight.delete(url);
    slot.entry = entry;
    slot.done = true;
  };
  let entry: TierEntry;
  let storeAt: string | undefined;
  try {
    const loaded = await read.load();
    entry = { text: loaded.text, info: loaded.info, etag: loaded.etag ?? (await contentTag(loaded.text, loaded.info)), storedAt: Date.now() };
    // Kept under the grants the read ran with (they may be newer than those held before).
    storeAt = keyFor && loaded.grants ? await keyFor(loaded.grants.fingerprint) : undefined;
  } catch (err) {
    release(undefined);
    throw err;
  }
  // Waiters share the answer only if it was read under the access their key names.
  release(storeAt === url ? entry : undefined);
  if (storeAt && store) {
    if (read.policy.memory) pages.set(storeAt, entry);
    if (read.policy.edgeTtlSeconds > 0) void inBackground(c, putEdge(read.policy, storeAt, entry));
  }
  return { entry, tier: 'db', own: true, ageMs: 0 };
}

/** `meta`'s tier fields for a served answer. */
export function tierMeta(served: Served): { tier: Tier; stale: false; ageMs: number } {
  return { tier: served.tier, stale: false, ageMs: Math.round(served.ageMs) };
}
