import { beforeAll, describe, expect, it } from 'vitest';
import type { UserGrants } from '../../src/sharing/types';
import { createOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { seededUser } from '../support/seeded';
import { grantsOf } from '../support/sharing';
import { sql } from '../support/sql';
import { send } from '../support/write';

// The security suite as a member (issue 23, part 7): member@demo.test under the demo org's private
// defaults for contacts, deals and leads. Whatever route they call, no record outside their grants
// appears: lists page after page, search, embeds, the other mounts, gets, cursors. Each answer is
// checked against an oracle written here in SQL from the seeded rules (load-sharing.ts), not
// through src/query/access.ts, so the two can disagree. Only the owner list comes from the
// compiled grants (the hierarchy and owner rules; test/sharing/snapshot.test.ts checks it by SQL).
type Shared = 'contacts' | 'deals' | 'leads';
const SHARED: Shared[] = ['contacts', 'deals', 'leads'];
const TYPE: Record<Shared, 'contact' | 'deal' | 'lead'> = { contacts: 'contact', deals: 'deal', leads: 'lead' };
const PUBLIC = new Set(['/healthz', '/empty', '/openapi.json', '/docs']);

describe('security suite as member@demo.test (private defaults)', () => {
  let orgId: string;
  let memberId: string;
  let teamId: string | null;
  let grants: UserGrants;
  let member: string;
  let admin: string;
  /** The most recent records the member may not read, per resource: what an unlimited first page would show. */
  const hidden = {} as Record<Shared, string[]>;
  const hiddenIds = new Set<string>();

  /** The member's condition on `resource` (alias `x`), by hand: owners ($2), the seeded criteria rules, shares to them or their team. */
  function oracleSql(resource: Shared): string {
    const criteria: Record<Shared, string> = {
      // "Customers → Sales Americas" (a team rule): the member's team decides.
      contacts: `(x.lifecycle_stage = 'customer' and exists (select 1 from sharing_rules r where r.org_id = $1 and r.is_active
                  and r.object_type = 'contact' and r.kind = 'criteria' and r.target_type = 'team' and r.target_id = $4::uuid::text))`,
      // "Won deals → all members" (a role rule): the member is one.
      deals: `x.status = 'won'`,
      leads: 'false',
    };
    return `(x.owner_id = any($2::uuid[]) or ${criteria[resource]}
       or x.id in (select s.record_id from record_shares s where s.org_id = $1 and s.object_type = '${TYPE[resource]}'
                     and ((s.grantee_type = 'user' and s.grantee_id = $3::uuid) or (s.grantee_type = 'team' and s.grantee_id = $4::uuid))))`;
  }
  const oracleValues = (resource: Shared) => [orgId, grants.objects[TYPE[resource]].readOwners, memberId, teamId];

  /** The ids among `ids` that are not live records of `resource` the member may read. */
  async function outside(resource: Shared, ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const ok = await sql<{ id: string }>(
      `select x.id::text from ${resource} x where x.org_id = $1 and x.deleted_at is null and x.id = any($5::uuid[]) and ${oracleSql(resource)}`,
      [...oracleValues(resource), ids],
    );
    const seen = new Set(ok.map((r) => r.id));
    return ids.filter((id) => !seen.has(id));
  }

  /** Every object in a JSON answer whose own `id` is a hidden record: a record shown, not a reference to one. */
  function shownHidden(body: unknown): string[] {
    const found: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const id = (v as { id?: unknown }).id;
        if (typeof id === 'string' && hiddenIds.has(id)) found.push(id);
        Object.values(v).forEach(walk);
      }
    };
    walk(body);
    return found;
  }

  beforeAll(async () => {
    const m = await seededUser('member@demo.test');
    orgId = m.orgId;
    memberId = m.id;
    [{ team_id: teamId }] = await sql<{ team_id: string | null }>('select team_id::text from users where id = $1', [m.id]);
    grants = await grantsOf(orgId, m.id);
    for (const r of SHARED) expect(grants.objects[TYPE[r]].all, r).toBe('none');
    member = await tokenFor(m);
    admin = await tokenFor(await seededUser('admin@demo.test'));
    for (const r of SHARED) {
      const rows = await sql<{ id: string }>(
        `select x.id::text from ${r} x where x.org_id = $1 and x.deleted_at is null and not ${oracleSql(r)} order by x.created_at desc, x.id desc limit 25`,
        oracleValues(r),
      );
      expect(rows.length, `${r}: the member must have something hidden from them`).toBe(25);
      hidden[r] = rows.map((x) => x.id);
      for (const x of rows) hiddenIds.add(x.id);
    }
  });

  for (const r of SHARED) {
    it(`/v1/${r}: three pages of 1000 by cursor, every id within the grants, and count=exact is the oracle's`, async () => {
      let cursor: string | undefined;
      let seen = 0;
      for (let page = 0; page < 3; page++) {
        const res = await get(`/v1/${r}?select=id&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: member });
        expect(res.status).toBe(200);
        const ids = res.body.data.map((x: { id: string }) => x.id);
        seen += ids.length;
        expect(await outside(r, ids), `${r} page ${page}`).toEqual([]);
        cursor = res.body.page?.nextCursor ?? undefined;
        if (!cursor) break;
      }
      expect(seen).toBeGreaterThan(0);
      const counted = await get(`/v1/${r}?limit=0`, { token: member, headers: { Prefer: 'count=exact' } });
      const [{ n }] = await sql<{ n: number }>(
        `select count(*)::int as n from ${r} x where x.org_id = $1 and x.deleted_at is null and ${oracleSql(r)}`,
        oracleValues(r),
      );
      expect(counted.body.count).toEqual({ value: n, method: 'exact' });
    });

    it(`/rest/v1/${r} and the JSON form list only what the grants allow`, async () => {
      const rest = await get(`/rest/v1/${r}?select=id&limit=1000`, { token: member });
      expect(rest.status).toBe(200);
      expect(
        await outside(
          r,
          rest.body.map((x: { id: string }) => x.id),
        ),
      ).toEqual([]);
      const form = await send('POST', `/v1/${r}/query`, { token: member, body: { select: 'id', limit: 1000 } });
      expect(form.status).toBe(200);
      expect(
        await outside(
          r,
          form.body.data.map((x: { id: string }) => x.id),
        ),
      ).toEqual([]);
    });

    it(`GET /v1/${r}/{hidden id} is a 404 and /rest/v1/${r}?id=eq.{hidden id} is []`, async () => {
      for (const id of hidden[r].slice(0, 5)) {
        const one = await get(`/v1/${r}/${id}`, { token: member });
        expect(one.status, `${r}/${id}`).toBe(404);
        expect(JSON.stringify(one.body)).not.toContain(id);
        const rest = await get(`/rest/v1/${r}?id=eq.${id}`, { token: member });
        expect(rest.status).toBe(200);
        expect(rest.body).toEqual([]);
        // The admin sees it: the 404 is the grants, not a wrong id.
        expect((await get(`/v1/${r}/${id}`, { token: admin })).status).toBe(200);
      }
    });
  }

  it('search and /api/v1/appusers/ (contacts) stay within the grants', async () => {
    for (const q of ['son', 'maria', 'ma']) {
      const res = await get(`/v1/contacts?q=${q}&select=id&limit=200`, { token: member });
      expect(res.status, q).toBe(200);
      expect(res.body.data.length, q).toBeGreaterThan(0);
      expect(
        await outside(
          'contacts',
          res.body.data.map((x: { id: string }) => x.id),
        ),
        q,
      ).toEqual([]);
    }
    const app = await get('/api/v1/appusers/?page_size=100&ordering=-created', { token: member });
    expect(app.status).toBe(200);
    expect(
      await outside(
        'contacts',
        app.body.results.map((x: { id: string }) => x.id),
      ),
    ).toEqual([]);
  });

  it('embeds: deals with select=*,contact(*) never show a contact outside the grants (null instead)', async () => {
    const [{ n }] = await sql<{ n: number }>(
      `select count(*)::int as n from (select d.contact_id from deals d where d.org_id = $1 and d.deleted_at is null and d.contact_id is not null
         and ${oracleSql('deals').replaceAll('x.', 'd.')} order by d.created_at desc, d.id desc limit 1000) page
        where page.contact_id not in (select x.id from contacts x where x.org_id = $1 and x.deleted_at is null and ${oracleSql('contacts').replace('$2', '$5')})`,
      [...oracleValues('deals'), grants.objects.contact.readOwners],
    );
    // The first page has visible deals whose contact is hidden (or in the trash), or the check below proves nothing.
    expect(n).toBeGreaterThan(0);
    const res = await get('/v1/deals?select=*,contact(*)&limit=1000', { token: member });
    expect(res.status).toBe(200);
    const deals = res.body.data as Array<{ id: string; contact_id: string | null; contact: { id: string } | null }>;
    expect(
      await outside(
        'deals',
        deals.map((d) => d.id),
      ),
    ).toEqual([]);
    const embedded = deals.flatMap((d) => (d.contact ? [d.contact.id] : []));
    expect(await outside('contacts', embedded)).toEqual([]);
    const withheld = deals.filter((d) => d.contact_id && !d.contact);
    expect(withheld.length).toBe(n);
    expect(
      await outside(
        'contacts',
        withheld.map((d) => d.contact_id as string),
      ),
    ).toHaveLength(n);
    // The same through /rest/v1.
    const rest = await get('/rest/v1/deals?select=*,contact(*)&limit=1000', { token: member });
    expect(rest.status).toBe(200);
    expect(
      await outside(
        'contacts',
        rest.body.flatMap((d: { contact: { id: string } | null }) => (d.contact ? [d.contact.id] : [])),
      ),
    ).toEqual([]);
  });

  it('a cursor minted for the admin is refused for the member (400 invalid_cursor)', async () => {
    for (const r of SHARED) {
      const first = await get(`/v1/${r}?select=id&limit=5`, { token: admin });
      const cursor = first.body.page.nextCursor as string;
      expect(cursor).toBeTruthy();
      const res = await get(`/v1/${r}?select=id&limit=5&cursor=${encodeURIComponent(cursor)}`, { token: member });
      expect(res.status, r).toBe(400);
      expect(res.body.code, r).toBe('invalid_cursor');
    }
  });

  it('every documented GET route, as the member: no hidden record shown, hidden ids are 404s', async () => {
    const doc = (await get('/openapi.json')).body;
    const gets = Object.entries<Record<string, unknown>>(doc.paths)
      .filter(([path, ops]) => !PUBLIC.has(path) && ops.get)
      .map(([path]) => path);
    expect(gets).toEqual(expect.arrayContaining(['/v1/contacts', '/v1/contacts/{id}', '/v1/deals/{id}', '/rest/v1/{table}', '/api/v1/appusers/']));
    const embeds = ['', 'select=*,contact(*)', 'select=*,deal(*)', 'select=*,lead(*)', 'select=*,contacts(*)', 'select=*,deals(*)'];
    let checked = 0;
    for (const path of gets) {
      const resource = SHARED.find((r) => path === `/v1/${r}/{id}`);
      const paths = path.includes('{table}')
        ? [...SHARED, 'activities', 'companies'].map((t) => path.replace('{table}', t))
        : path.includes('{')
          ? SHARED.flatMap((r) => hidden[r].slice(0, 2)).map((id) => path.replace(/\{(id|[a-zA-Z]+Id)\}/, id))
          : [path];
      for (const p of paths) {
        for (const q of path.includes('{id}') || path.includes('Id}') ? [''] : embeds) {
          const url = q ? `${p}?${q}` : p;
          const res = await get(url, { token: member });
          expect(res.status, url).toBeLessThan(500);
          expect(shownHidden(res.body), url).toEqual([]);
          if (resource && res.status !== 404) expect(res.status, url).toBe(404);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  }, 120_000);
});

describe('the audit trail as a member under private defaults', () => {
  // A member reads one record's trail at a time (decision 0036): that record must be one they may read.
  // Reported: /v1/audit checks the member's role (one record at a time) but not their access to
  // that record, so the trail (every field written) of a record hidden from them is served.
  it("GET /v1/audit?object_type=contacts&object_id=<hidden> does not show a hidden record's changes", async () => {
    const org = await createOrg();
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true)`, [org.id]);
    await sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [org.id],
    );
    const created = await send('POST', '/v1/contacts', { token: await tokenFor(org.users.admin), body: { first_name: 'Classified', last_name: 'Person' } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const token = await tokenFor(org.users.member);
    expect((await get(`/v1/contacts/${id}`, { token })).status).toBe(404);
    const trail = await get(`/v1/audit?object_type=contacts&object_id=${id}`, { token });
    expect(trail.status).toBe(404);
    expect(JSON.stringify(trail.body)).not.toContain('Classified');
    // Nor a manager's org-wide read: the whole trail is the admins'.
    expect((await get('/v1/audit', { token: await tokenFor(org.users.manager) })).status).toBe(403);
  });
});
