import { beforeAll, describe, expect, it } from 'vitest';
import { clearPageTier } from '../../src/resources/tiers';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// The Cache API tier in front of lists (src/resources/tiers.ts), inside workerd against the test
// database: an answer is stored under the normalised request, the generations of what it reads
// and the caller's access fingerprint, so a second identical request is a hit that opens no
// connection, a write is seen at once by a reader naming its generation (X-Min-Generation),
// and no entry ever crosses orgs or access.

type Answer = Awaited<ReturnType<typeof send>>;
const tierOf = (res: Answer) => res.body?.meta?.tier as string;
const list = (path: string, token: string, headers: Record<string, string> = {}) => send('GET', path, { token, headers });

const isHit = (res: Answer) => tierOf(res) === 'memory' || tierOf(res) === 'edge-cache';

/** The same request again until a tier answers it: the entry is stored after the response (waitUntil). */
async function untilHit(path: string, token: string, headers: Record<string, string> = {}): Promise<Answer> {
  let res = await list(path, token, headers);
  for (let i = 0; i < 50 && !isHit(res); i++) {
    await new Promise((r) => setTimeout(r, 20));
    res = await list(path, token, headers);
  }
  return res;
}

const hitTier = (tier: string) => tier === 'memory' || tier === 'edge-cache';
const ids = (res: Answer) => (res.body.data as Array<{ id: string }>).map((r) => r.id).sort();

describe('the edge-cache tier', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  let contactIds: string[];

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    member = await tokenFor(org.users.member);
    contactIds = await createContacts(
      org.id,
      Array.from({ length: 5 }, (_, i) => ({ first_name: `Tier${i}`, last_name: 'Cached' })),
    );
  });

  it('answers a repeated list from isolate memory, and behind it from the Cache API, without opening a connection', async () => {
    const path = '/v1/contacts?select=id,first_name&last_name=eq.Cached&order=first_name.asc';
    const first = await list(path, admin);
    expect(first.status).toBe(200);
    expect(tierOf(first)).toBe('db');
    const fromMemory = await untilHit(path, admin);
    expect(tierOf(fromMemory)).toBe('memory');
    clearPageTier();
    const fromEdge = await list(path, admin);
    expect(tierOf(fromEdge)).toBe('edge-cache');
    // The Cache API's answer is kept in memory for the next request.
    expect(tierOf(await list(path, admin))).toBe('memory');
    for (const [hit, tier] of [
      [fromMemory, 'memory'],
      [fromEdge, 'edge-cache'],
    ] as const) {
      expect(hit.body.data).toEqual(first.body.data);
      expect(hit.body.page).toEqual(first.body.page);
      expect(hit.body.meta).toMatchObject({ stale: false, queries: 0 });
      expect(hit.headers.get('Content-Type')).toMatch(/^application\/json/);
      expect(hit.headers.get('Content-Range')).toBe(first.headers.get('Content-Range'));
      expect(hit.body.meta.ageMs).toBeGreaterThanOrEqual(0);
      const timing = hit.headers.get('Server-Timing') ?? '';
      expect(timing).toContain(tier);
      expect(timing).not.toMatch(/(^|,\s*)db(-connect)?;/);
    }
    // The JSON form of the same request is the same request.
    const viaBody = await send('POST', '/v1/contacts/query', {
      token: admin,
      body: {
        select: 'id,first_name',
        where: { field: 'last_name', operator: 'equals', value: 'Cached' },
        orderBy: [{ field: 'first_name', direction: 'asc' }],
      },
    });
    expect(viaBody.status, JSON.stringify(viaBody.body)).toBe(200);
    expect(viaBody.body.data).toEqual(first.body.data);
  });

  it('a reader naming a write’s generation never gets an answer from before it', async () => {
    const path = '/v1/contacts?select=id,first_name&last_name=eq.Cached&order=first_name.asc';
    await untilHit(path, admin);
    const patched = await send('PATCH', `/v1/contacts/${contactIds[0]}`, { token: admin, body: { first_name: 'Renamed' } });
    expect(patched.status).toBe(200);
    const generation = patched.headers.get('X-Generation') as string;
    const after = await list(path, admin, { 'X-Min-Generation': generation });
    expect(tierOf(after)).toBe('db');
    expect(after.body.data.map((r: { first_name: string }) => r.first_name)).toContain('Renamed');
    // And the new answer is the one cached from then on.
    const hit = await untilHit(path, admin, { 'X-Min-Generation': generation });
    expect(hit.body.data).toEqual(after.body.data);
  });

  it('never shares an entry between different access, and shares it between the same', async () => {
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true)`, [org.id]);
    await sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1, generation = org_generations.generation + 1`,
      [org.id],
    );
    const path = '/v1/contacts?select=id&last_name=eq.Cached&order=id.asc';
    // The admin's answer is cached first; the member (private contacts, owns none) must not get it.
    const adminHit = await untilHit(path, admin);
    expect(ids(adminHit)).toEqual([...contactIds].sort());
    const memberFirst = await list(path, member);
    expect(memberFirst.status).toBe(200);
    expect(tierOf(memberFirst)).toBe('db');
    expect(memberFirst.body.data).toEqual([]);
    expect(tierOf(await untilHit(path, member))).toSatisfy(hitTier);

    // A second admin has the admin's access: the admin's entry serves them.
    const created = await send('POST', '/v1/users', { token: admin, body: { email: `admin2-${org.slug}@x.test`, name: 'Second admin', role: 'admin' } });
    expect(created.status).toBe(201);
    const admin2Token = await tokenFor({ id: created.body.data.id, role: 'admin', orgId: org.id });
    // Creating a user moved the users' generation and the sharing version: both admins miss once.
    const generation = created.headers.get('X-Generation') as string;
    const refreshed = await untilHit(path, admin, { 'X-Min-Generation': generation });
    expect(tierOf(refreshed)).toSatisfy(hitTier);
    const shared = await list(path, admin2Token, { 'X-Min-Generation': generation });
    expect(tierOf(shared), JSON.stringify(shared.body.meta)).toSatisfy(hitTier);
    expect(ids(shared)).toEqual(ids(adminHit));
  });

  it('a sharing change is seen at once by a reader naming its generation', async () => {
    const path = '/v1/contacts?select=id&last_name=eq.Cached&order=id.asc';
    expect((await untilHit(path, member)).body.data).toEqual([]);
    const shared = await send('POST', '/v1/sharing/shares', {
      token: admin,
      body: { object_type: 'contact', record_id: contactIds[1], grantee_type: 'user', grantee_id: org.users.member.id, access: 'read' },
    });
    expect(shared.status).toBe(201);
    const after = await list(path, member, { 'X-Min-Generation': shared.headers.get('X-Generation') as string });
    expect(tierOf(after)).toBe('db');
    expect(ids(after)).toEqual([contactIds[1]]);
  });

  it('never serves one org’s entry to another, whatever the request and access', async () => {
    const other = await createOrg();
    const otherAdmin = await tokenFor(other.users.admin);
    await createContacts(other.id, [{ first_name: 'Elsewhere', last_name: 'Cached' }]);
    const path = '/v1/contacts?select=id,first_name&last_name=eq.Cached&order=first_name.asc&limit=7';
    await untilHit(path, admin);
    const theirs = await list(path, otherAdmin);
    expect(tierOf(theirs)).toBe('db');
    expect(theirs.body.data.map((r: { first_name: string }) => r.first_name)).toEqual(['Elsewhere']);
  });

  it('Cache-Control: no-cache asks for Postgres; no-store also leaves nothing behind', async () => {
    const path = '/v1/contacts?select=id&last_name=eq.Cached&limit=3';
    expect(tierOf(await untilHit(path, admin))).toSatisfy(hitTier);
    expect(tierOf(await list(path, admin, { 'Cache-Control': 'no-cache' }))).toBe('db');
    const fresh = '/v1/contacts?select=id&last_name=eq.Cached&limit=2';
    for (let i = 0; i < 3; i++) expect(tierOf(await list(fresh, admin, { 'Cache-Control': 'no-store' }))).toBe('db');
    await new Promise((r) => setTimeout(r, 100));
    expect(tierOf(await list(fresh, admin))).toBe('db');
  });

  it('a malformed X-Min-Generation is a 400 naming the header', async () => {
    for (const bad of ['abc', '-1', '1.5', '9'.repeat(16)]) {
      const res = await list('/v1/contacts?limit=1', admin, { 'X-Min-Generation': bad });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'X-Min-Generation', message: 'not a whole number' }]);
    }
  });
});
