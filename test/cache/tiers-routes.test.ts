import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import type { AppEnv } from '../../src/env';
import { forgetTierEntries, useGenerationClock } from '../../src/resources/tiers';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { raiseGeneration, sql } from '../support/sql';
import { CACHED_READER } from '../support/test-database';
import { send } from '../support/write';

// The read tiers beyond lists' memory and Cache API (tiers.test.ts): Workers KV behind them, gets
// by id, /rest/v1 and /api/v1/appusers/ through the same keys, ETag and If-None-Match, misses of
// one key coalesced into one read, the staleness bound under a controlled clock, and the routing
// between the two Hyperdrive bindings.

type Answer = Awaited<ReturnType<typeof get>>;
const tierOf = (res: Answer) => res.body?.meta?.tier as string;
const timing = (res: Answer) => res.headers.get('Server-Timing') ?? '';

/** The same request until `done` holds (entries are stored after the response, in waitUntil). */
async function until(request: () => Promise<Answer>, done: (res: Answer) => boolean): Promise<Answer> {
  let res = await request();
  for (let i = 0; i < 50 && !done(res); i++) {
    await new Promise((r) => setTimeout(r, 20));
    res = await request();
  }
  return res;
}

/** A write made elsewhere (another isolate): the row and the org's generations change, this isolate is not told. */
async function writeElsewhere(orgId: string, contactId: string, firstName: string): Promise<void> {
  await sql('update contacts set first_name = $2, updated_at = now() where id = $1', [contactId, firstName]);
  await raiseGeneration(orgId, 'contacts');
}

describe('read tiers on every read route', () => {
  let org: TestOrg;
  let admin: string;
  let ids: string[];

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    ids = await createContacts(
      org.id,
      Array.from({ length: 4 }, (_, i) => ({ first_name: `Route${i}`, last_name: 'Tiered', email: `route${i}@tiered.test` })),
    );
  });
  afterEach(() => useGenerationClock(undefined));

  it('Workers KV answers behind memory and the Cache API once an entry was read twice', async () => {
    const path = '/v1/contacts?select=id,first_name&last_name=eq.Tiered&order=first_name.asc&limit=3';
    const first = await get(path, { token: admin });
    expect(tierOf(first)).toBe('db');
    // The second read (a memory hit) writes the entry to KV; with memory and the Cache API emptied, KV answers.
    expect(tierOf(await get(path, { token: admin }))).toBe('memory');
    const fromKv = await until(
      async () => {
        await forgetTierEntries();
        return get(path, { token: admin });
      },
      (res) => tierOf(res) === 'kv',
    );
    expect(tierOf(fromKv)).toBe('kv');
    expect(fromKv.body.data).toEqual(first.body.data);
    expect(fromKv.body.meta).toMatchObject({ stale: false, queries: 0 });
    expect(timing(fromKv)).toMatch(/edge-cache-miss;/);
    expect(timing(fromKv)).toMatch(/(^|,\s*)kv;/);
    expect(timing(fromKv)).not.toMatch(/(^|,\s*)db;/);
    // KV's answer is kept in memory for the next reader.
    expect(tierOf(await get(path, { token: admin }))).toBe('memory');
  });

  it('gets by id: a hit after the first read, the record version as ETag, 304 on If-None-Match, a write seen by a reader naming it', async () => {
    const path = `/v1/contacts/${ids[0]}?select=id,first_name`;
    const first = await get(path, { token: admin });
    expect(first.status).toBe(200);
    expect(first.body.meta).toMatchObject({ tier: 'db', stale: false, ageMs: 0 });
    const etag = first.headers.get('ETag') as string;
    expect(etag).toMatch(/^"\d+"$/);
    const hit = await until(
      () => get(path, { token: admin }),
      (res) => tierOf(res) !== 'db',
    );
    expect(tierOf(hit)).toBe('memory');
    expect(hit.body.data).toEqual(first.body.data);
    expect(hit.headers.get('ETag')).toBe(etag);
    const unchanged = await get(path, { token: admin, headers: { 'If-None-Match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBe('');

    // The ETag is what a write's If-Match takes.
    const patched = await send('PATCH', `/v1/contacts/${ids[0]}`, { token: admin, body: { first_name: 'Route0b' }, headers: { 'If-Match': etag } });
    expect(patched.status).toBe(200);
    const after = await get(path, { token: admin, headers: { 'X-Min-Generation': patched.headers.get('X-Generation') as string, 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(after.body.data.first_name).toBe('Route0b');
    expect(after.headers.get('ETag')).not.toBe(etag);
    // A record the caller may not read is a 404 from every tier, never stored.
    const missing = await get(`/v1/contacts/${crypto.randomUUID()}`, { token: admin });
    expect(missing.status).toBe(404);
  });

  it('/rest/v1 and /v1 share the entry of the same request; each renders it its own way', async () => {
    const query = 'select=id,first_name&last_name=eq.Tiered&order=first_name.desc&limit=2';
    const v1 = await until(
      () => get(`/v1/contacts?${query}`, { token: admin }),
      (res) => tierOf(res) === 'memory',
    );
    const rest = await get(`/rest/v1/contacts?${query}`, { token: admin });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual(v1.body.data);
    expect(timing(rest)).toMatch(/(^|,\s*)memory;/);
    expect(rest.headers.get('Content-Range')).toBe(v1.headers.get('Content-Range'));
    const etag = rest.headers.get('ETag') as string;
    expect((await get(`/rest/v1/contacts?${query}`, { token: admin, headers: { 'If-None-Match': etag } })).status).toBe(304);
    // `.single()` over a two-row entry is still refused; CSV renders the same rows.
    const single = await get(`/rest/v1/contacts?${query}`, { token: admin, headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(single.status).toBe(406);
    const csv = await get(`/rest/v1/contacts?${query}`, { token: admin, headers: { Accept: 'text/csv' } });
    expect(csv.body.split(/\r?\n/)[0]).toBe('id,first_name');
  });

  it('/api/v1/appusers/ says cache_hit when a tier answered, as the seed did', async () => {
    const path = '/api/v1/appusers/?email=tiered.test&page_size=2';
    const first = await get(path, { token: admin });
    expect(first.status).toBe(200);
    expect(first.body.meta.cache_hit).toBe(false);
    const hit = await until(
      () => get(path, { token: admin }),
      (res) => res.body.meta?.cache_hit === true,
    );
    expect(hit.body.meta).toMatchObject({ cache_hit: true, queries: 0 });
    expect({ ...hit.body, meta: undefined }).toEqual({ ...first.body, meta: undefined });
  });

  it('misses of one key in one isolate are coalesced into one read', async () => {
    const path = '/v1/contacts?select=id&last_name=eq.Tiered&order=id.asc&limit=4';
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(path, { token: admin })));
    for (const res of answers) expect(res.status).toBe(200);
    const reads = answers.filter((res) => res.body.meta.queries > 0);
    expect(reads).toHaveLength(1);
    const shared = answers.filter((res) => /(^|,\s*)coalesced;/.test(timing(res)));
    expect(shared.length + reads.length).toBe(answers.length);
    for (const res of answers) expect(res.body.data).toEqual(reads[0].body.data);
  });

  it('without X-Min-Generation, no answer is older than the staleness bound (GENERATION_MAX_AGE_MS) under a controlled clock', async () => {
    let now = 1_000_000;
    useGenerationClock({ now: () => now });
    const bound = Number((env as AppEnv & { GENERATION_MAX_AGE_MS: string }).GENERATION_MAX_AGE_MS);
    const path = `/v1/contacts?select=id,first_name&id=eq.${ids[1]}`;
    const nameOf = (res: Answer) => res.body.data[0].first_name as string;
    const before = await until(
      () => get(path, { token: admin }),
      (res) => tierOf(res) === 'memory',
    );
    expect(nameOf(before)).toBe('Route1');

    await writeElsewhere(org.id, ids[1], 'Route1-elsewhere');
    // The org's object keeps its copy of the generations GENERATION_SYNC_MS of real time (500 ms).
    await new Promise((r) => setTimeout(r, 600));
    // Inside the bound the isolate may still answer from before the write. (Its copy's age counts
    // from when Postgres had it: the object's copy was up to GENERATION_SYNC_MS old when fetched.)
    now += bound / 2;
    const inside = await get(path, { token: admin });
    expect(tierOf(inside), timing(inside)).toBe('memory');
    expect(nameOf(inside)).toBe('Route1');
    // Past the bound it learns the new generation: the old entry is never found again.
    now += bound / 2 + 1;
    const past = await get(path, { token: admin });
    expect(tierOf(past)).toBe('db');
    expect(nameOf(past)).toBe('Route1-elsewhere');
  });

  it('routes reads to the two Hyperdrive bindings: HYPERDRIVE_CACHED only for a GET with max-stale and no X-Min-Generation, never stored', async () => {
    const whoAmI = async (binding: 'fresh' | 'cached') => {
      const db = createDb(env as AppEnv, () => {}, { binding });
      try {
        return (await db.query<{ who: string }>('select current_user as who')).rows[0].who;
      } finally {
        await db.close();
      }
    };
    expect(await whoAmI('cached')).toBe(CACHED_READER);
    expect(await whoAmI('fresh')).not.toBe(CACHED_READER);

    const path = '/v1/contacts?select=id&last_name=eq.Tiered&limit=1';
    const tolerant = await get(path, { token: admin, headers: { 'Cache-Control': 'max-stale=60' } });
    expect(tolerant.status).toBe(200);
    expect(timing(tolerant)).toMatch(/db;dur=[\d.]+;desc="[^"]*HYPERDRIVE_CACHED/);
    // Its answer may be older than the key's generation: not stored, so the next reader misses too.
    const next = await get(path, { token: admin });
    expect(tierOf(next)).toBe('db');
    expect(timing(next)).not.toContain('HYPERDRIVE_CACHED');
    // Naming a write, or writing, goes through the fresh binding whatever Cache-Control says.
    const named = await get(`${path}&offset=0`, { token: admin, headers: { 'Cache-Control': 'max-stale', 'X-Min-Generation': '0' } });
    expect(named.status).toBe(200);
    expect(timing(named)).not.toContain('HYPERDRIVE_CACHED');
    const write = await send('PATCH', `/v1/contacts/${ids[2]}`, { token: admin, body: { first_name: 'Route2b' }, headers: { 'Cache-Control': 'max-stale' } });
    expect(write.status).toBe(200);
    expect(write.headers.get('Server-Timing') ?? '').not.toContain('HYPERDRIVE_CACHED');
  });
});
