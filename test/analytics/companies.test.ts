import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { privateTo } from '../support/sharing';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Company stats and contacts (issue 26 §3), and the computed deal_count / activity_count columns
// of contacts lists: one statement each under the caller's access, checked against numbers made
// here from the rows inserted.

/** The second request is the one counted: the first may load the caller's user row or grants. */
const warm = async (path: string, token: string) => {
  await get(path, { token });
  return get(path, { token });
};

/** Makes `types` private to their owners (no hierarchy) for the org, as a member's grants then read. */
interface Contact {
  id: string;
  company: string | null;
  owner: string;
  deleted: boolean;
  created: string;
}
interface Deal {
  id: string;
  company: string | null;
  contact: string | null;
  status: 'open' | 'won' | 'lost';
  value: number;
  probability: number;
  owner: string;
  deleted: boolean;
}
interface Activity {
  id: string;
  contact: string | null;
  owner: string;
}

describe('company stats and contacts', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  let acme: string;
  let other: string;
  let hidden: string;
  const contacts: Contact[] = [];
  const deals: Deal[] = [];
  const activities: Activity[] = [];

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    member = await tokenFor(org.users.member);
    const owners = [org.users.admin.id, org.users.member.id, org.users.manager.id];
    const company = async (name: string, owner: string) =>
      (await sql(`insert into companies (org_id, name, owner_id) values ($1, $2, $3) returning id`, [org.id, name, owner]))[0].id as string;
    acme = await company('Acme', org.users.member.id);
    other = await company('Other', org.users.admin.id);
    hidden = await company('Hidden', org.users.admin.id);
    const [{ id: pipeline }] = await sql(`insert into pipelines (org_id, name, is_default) values ($1, 'Sales', true) returning id`, [org.id]);
    const stages: Record<Deal['status'], string> = { open: '', won: '', lost: '' };
    for (const [i, status, won, lost] of [
      [1, 'open', false, false],
      [2, 'won', true, false],
      [3, 'lost', false, true],
    ] as const) {
      stages[status] = (
        await sql(`insert into pipeline_stages (org_id, pipeline_id, name, position, is_won, is_lost) values ($1, $2, $3, $4, $5, $6) returning id`, [
          org.id,
          pipeline,
          status,
          i,
          won,
          lost,
        ])
      )[0].id;
    }
    for (let i = 0; i < 14; i++) {
      const c = {
        company: i < 9 ? acme : i < 12 ? other : null,
        owner: owners[i % 3],
        deleted: i === 4,
        created: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
      };
      const [{ id }] = await sql(
        `insert into contacts (org_id, first_name, last_name, primary_company_id, owner_id, created_at, updated_at, deleted_at) values ($1, $2, 'Test', $3, $4, $5, $5, $6) returning id`,
        [org.id, `P${i}`, c.company, c.owner, c.created, c.deleted ? c.created : null],
      );
      contacts.push({ ...c, id });
    }
    // A contact's link table row for another company: not how the API relates them (decision 0051), so not counted.
    await sql(`insert into contact_companies (org_id, contact_id, company_id) values ($1, $2, $3)`, [org.id, contacts[10].id, acme]);
    const statuses = ['open', 'won', 'lost', 'open'] as const;
    for (let i = 0; i < 22; i++) {
      const d = {
        company: i < 15 ? acme : i < 19 ? other : null,
        contact: contacts[i % 12].id,
        status: statuses[i % 4],
        value: i % 5 === 0 ? 0 : 250 * (i + 1) + 0.5,
        probability: (i * 17) % 101,
        owner: owners[(i + 1) % 3],
        deleted: i === 7,
      };
      const [{ id }] = await sql(
        `insert into deals (org_id, name, value, probability, status, pipeline_id, stage_id, company_id, contact_id, owner_id, deleted_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
        [org.id, `D${i}`, d.value, d.probability, d.status, pipeline, stages[d.status], d.company, d.contact, d.owner, d.deleted ? new Date() : null],
      );
      deals.push({ ...d, id });
    }
    for (let i = 0; i < 30; i++) {
      const a = { contact: i < 27 ? contacts[(i * 5) % 13].id : null, owner: owners[i % 3] };
      const [{ id }] = await sql(`insert into activities (org_id, type, subject, contact_id, owner_id) values ($1, 'call', $2, $3, $4) returning id`, [
        org.id,
        `A${i}`,
        a.contact,
        a.owner,
      ]);
      activities.push({ ...a, id });
    }
  });

  // In whole cents (exact): Σ value × probability / 100 is rounded to the cent once, half up, as numeric(18,2) does.
  const cents = (d: Deal) => Math.round(d.value * 100);
  const money = (c: number) => (c / 100).toFixed(2);
  const totals = (xs: Deal[]) => ({
    count: xs.length,
    value: money(xs.reduce((a, d) => a + cents(d), 0)),
    weighted: money(Math.round(xs.reduce((a, d) => a + cents(d) * d.probability, 0) / 100)),
  });
  /** The stats as computed from the rows, for a caller who sees `seen` of them. */
  const expectedStats = (company: string, name: string, seen: (owner: string) => boolean) => {
    const live = deals.filter((d) => d.company === company && !d.deleted && seen(d.owner));
    const byStatus = (['open', 'won', 'lost'] as const).map((status) => ({ status, ...totals(live.filter((d) => d.status === status)) }));
    return {
      company: { id: company, name },
      contacts: contacts.filter((c) => c.company === company && !c.deleted && seen(c.owner)).length,
      deals: { byStatus, total: totals(live) },
      values: { total: totals(live).value, open: byStatus[0].value, won: byStatus[1].value, lost: byStatus[2].value },
    };
  };
  const all = () => true;

  it('stats: contacts and deals by status with values, from one statement', async () => {
    const res = await warm(`/v1/companies/${acme}/stats`, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(statementsOf(res)).toBeLessThanOrEqual(2);
    expect(res.body.data).toEqual(expectedStats(acme, 'Acme', all));
    expect((await get(`/v1/companies/${hidden}/stats`, { token: admin })).body.data).toEqual(expectedStats(hidden, 'Hidden', all));
  });

  it('stats under private sharing count only what the member may read; a company they may not read is a 404', async () => {
    const restore = await privateTo(org.id, ['contact', 'deal', 'company']);
    try {
      const mine = (owner: string) => owner === org.users.member.id;
      const res = await get(`/v1/companies/${acme}/stats`, { token: member });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toEqual(expectedStats(acme, 'Acme', mine));
      // The admin's company: hidden from the member, as GET /v1/companies/{id} is.
      expect((await get(`/v1/companies/${other}`, { token: member })).status).toBe(404);
      const refused = await get(`/v1/companies/${other}/stats`, { token: member });
      expect(refused.status).toBe(404);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await restore();
    }
  });

  it('stats: another org, a missing or trashed company is a 404; bad input is a 400', async () => {
    const stranger = await tokenFor((await createOrg()).users.admin);
    expect((await get(`/v1/companies/${acme}/stats`, { token: stranger })).status).toBe(404);
    expect((await get(`/v1/companies/${crypto.randomUUID()}/stats`, { token: admin })).status).toBe(404);
    expect((await get(`/v1/companies/not-a-uuid/stats`, { token: admin })).status).toBe(400);
    const filtered = await get(`/v1/companies/${acme}/stats?status=eq.open`, { token: admin });
    expect(filtered.status).toBe(400);
    expect(filtered.headers.get('content-type')).toContain('application/problem+json');
    const [{ id: trashed }] = await sql(`insert into companies (org_id, name, deleted_at) values ($1, 'Gone', now()) returning id`, [org.id]);
    expect((await get(`/v1/companies/${trashed}/stats`, { token: admin })).status).toBe(404);
  });

  /** A contact's row as the company's contacts list renders it, counted from the rows. */
  const counted = (c: Contact, seen: (owner: string) => boolean) => ({
    id: c.id,
    deal_count: deals.filter((d) => d.contact === c.id && !d.deleted && seen(d.owner)).length,
    activity_count: activities.filter((a) => a.contact === c.id && seen(a.owner)).length,
  });
  const newestFirst = (xs: Contact[]) => [...xs].sort((a, b) => b.created.localeCompare(a.created));

  it('contacts: each with its deal and activity counts, paged by cursor, one statement a page', async () => {
    const expected = newestFirst(contacts.filter((c) => c.company === acme && !c.deleted)).map((c) => counted(c, all));
    const first = await warm(`/v1/companies/${acme}/contacts?limit=3`, admin);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(statementsOf(first)).toBeLessThanOrEqual(2);
    expect(first.body.data[0]).toMatchObject({ first_name: expect.any(String), primary_company_id: acme });
    const seen = [...first.body.data];
    let cursor = first.body.page.nextCursor;
    while (cursor) {
      const page = await get(`/v1/companies/${acme}/contacts?limit=3&cursor=${encodeURIComponent(cursor)}`, { token: admin });
      expect(page.status).toBe(200);
      expect(statementsOf(page)).toBeLessThanOrEqual(2);
      seen.push(...page.body.data);
      cursor = page.body.page.nextCursor;
    }
    expect(seen.map(({ id, deal_count, activity_count }) => ({ id, deal_count, activity_count }))).toEqual(expected);

    // select narrows (the counts only when named); a count and Prefer: count=exact work as on /v1/contacts.
    const narrow = await get(`/v1/companies/${acme}/contacts?select=id,dc:deal_count&limit=100`, {
      token: admin,
      headers: { Prefer: 'count=exact' },
    });
    expect(narrow.body.data).toEqual(expected.map(({ id, deal_count }) => ({ id, dc: deal_count })));
    expect(narrow.body.count).toEqual({ value: expected.length, method: 'exact' });
    // A company without contacts is an empty page, not a 404.
    const empty = await get(`/v1/companies/${hidden}/contacts`, { token: admin });
    expect(empty.status).toBe(200);
    expect(empty.body.data).toEqual([]);
  });

  it('contacts under private sharing: only the member’s contacts, counting only their deals and activities', async () => {
    const restore = await privateTo(org.id, ['contact', 'deal', 'activity', 'company']);
    try {
      const mine = (owner: string) => owner === org.users.member.id;
      const res = await get(`/v1/companies/${acme}/contacts?select=id,deal_count,activity_count&limit=100`, { token: member });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const expected = newestFirst(contacts.filter((c) => c.company === acme && !c.deleted && mine(c.owner))).map((c) => counted(c, mine));
      expect(expected.length).toBeGreaterThan(0);
      expect(res.body.data).toEqual(expected);
      expect((await get(`/v1/companies/${other}/contacts`, { token: member })).status).toBe(404);
    } finally {
      await restore();
    }
  });

  it('contacts: another org or a missing company is a 404; bad input a 400, never a 500', async () => {
    const stranger = await tokenFor((await createOrg()).users.admin);
    expect((await get(`/v1/companies/${acme}/contacts`, { token: stranger })).status).toBe(404);
    expect((await get(`/v1/companies/${crypto.randomUUID()}/contacts`, { token: admin })).status).toBe(404);
    for (const q of ['limit=abc', 'order=deal_count.desc', 'deal_count=gt.1', 'select=nope', 'cursor=forged']) {
      const res = await get(`/v1/companies/${acme}/contacts?${q}`, { token: admin });
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type'), q).toContain('application/problem+json');
    }
  });
});

describe('deal_count and activity_count on contacts lists', () => {
  let org: TestOrg;
  let admin: string;
  let pipeline: string;
  let stage: string;
  const ids: string[] = [];
  const dealsOf = new Map<string, number>();
  const activitiesOf = new Map<string, number>();

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    [{ id: pipeline }] = await sql(`insert into pipelines (org_id, name, is_default) values ($1, 'Sales', true) returning id`, [org.id]);
    for (const [i, won, lost] of [
      [1, false, false],
      [2, true, false],
      [3, false, true],
    ] as const) {
      const [{ id }] = await sql(
        `insert into pipeline_stages (org_id, pipeline_id, name, position, is_won, is_lost) values ($1, $2, $3, $4, $5, $6) returning id`,
        [org.id, pipeline, `S${i}`, i, won, lost],
      );
      if (i === 1) stage = id;
    }
    for (let i = 0; i < 5; i++) {
      const [{ id }] = await sql(`insert into contacts (org_id, first_name, created_at) values ($1, $2, $3) returning id`, [
        org.id,
        `C${i}`,
        new Date(Date.UTC(2026, 1, 1) + i * 60_000).toISOString(),
      ]);
      ids.unshift(id); // newest first, as lists order them
      dealsOf.set(id, i);
      activitiesOf.set(id, 4 - i);
      for (let k = 0; k < i; k++) {
        await sql(`insert into deals (org_id, name, pipeline_id, stage_id, contact_id) values ($1, 'D', $2, $3, $4)`, [org.id, pipeline, stage, id]);
      }
      for (let k = 0; k < 4 - i; k++) await sql(`insert into activities (org_id, type, subject, contact_id) values ($1, 'note', 'N', $2)`, [org.id, id]);
    }
  });

  const expected = () => ids.map((id) => ({ id, deal_count: dealsOf.get(id), activity_count: activitiesOf.get(id) }));

  it('/v1/contacts?select=…,deal_count,activity_count: counts in the list’s own statement', async () => {
    // Twice, the second counted, from Postgres (not a read tier): the list and the sharing version check.
    const fresh = { token: admin, headers: { 'Cache-Control': 'no-store' } };
    await get('/v1/contacts?select=id,deal_count,activity_count', fresh);
    const res = await get('/v1/contacts?select=id,deal_count,activity_count', fresh);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual(expected());
    expect(statementsOf(res)).toBeLessThanOrEqual(2);
    // Not in the default projection.
    const plain = await get('/v1/contacts?limit=1', { token: admin });
    expect(plain.body.data[0]).not.toHaveProperty('deal_count');
    // By id, the JSON form and /rest/v1 (also as CSV) answer them the same way.
    const one = await get(`/v1/contacts/${ids[0]}?select=id,deal_count`, { token: admin });
    expect(one.body.data).toEqual({ id: ids[0], deal_count: dealsOf.get(ids[0]) });
    const form = await send('POST', '/v1/contacts/query', { token: admin, body: { select: 'id,deal_count,activity_count' } });
    expect(form.body.data).toEqual(expected());
    const rest = await get('/rest/v1/contacts?select=id,deal_count,activity_count', { token: admin });
    expect(rest.body).toEqual(expected());
    const csv = await get('/rest/v1/contacts?select=id,deal_count&limit=1', { token: admin, headers: { Accept: 'text/csv' } });
    expect(csv.body).toBe(`id,deal_count\r\n${ids[0]},${dealsOf.get(ids[0])}\r\n`);
    // An export's columns are the select's, the counts among them.
    const exported = await get('/v1/contacts/export?format=csv&select=id,deal_count&order=created_at.desc', { token: admin });
    expect(exported.status).toBe(200);
    expect(String(exported.body).split(/\r?\n/).slice(0, 2)).toEqual(['id,deal_count', `${ids[0]},${dealsOf.get(ids[0])}`]);
  });

  it('a deal written through the API moves the count: the cached list is keyed by deals too', async () => {
    const path = '/v1/contacts?select=id,deal_count&limit=1';
    const before = await get(path, { token: admin });
    expect(before.body.data[0]).toEqual({ id: ids[0], deal_count: dealsOf.get(ids[0]) });
    const created = await send('POST', '/v1/deals', { token: admin, body: { name: 'New', pipeline_id: pipeline, stage_id: stage, contact_id: ids[0] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    dealsOf.set(ids[0], (dealsOf.get(ids[0]) ?? 0) + 1);
    const after = await get(path, { token: admin, headers: { 'X-Min-Generation': created.headers.get('X-Generation') ?? '0' } });
    expect(after.body.data[0]).toEqual({ id: ids[0], deal_count: dealsOf.get(ids[0]) });
  });

  it('computed columns are selected, never filtered or ordered by: a 400 that says so, on every mount', async () => {
    for (const path of [
      '/v1/contacts?deal_count=gt.1',
      '/v1/contacts?order=deal_count.desc',
      '/v1/contacts?or=(activity_count.eq.0,first_name.eq.x)',
      '/rest/v1/contacts?deal_count=eq.1',
      '/rest/v1/contacts?select=id&order=activity_count',
      // Only on the resource's own rows: not inside an embed.
      '/v1/deals?select=id,contact(deal_count)',
    ]) {
      const res = await get(path, { token: admin });
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe('invalid_query');
      expect(res.body.detail, path).toMatch(/computed/);
    }
    const form = await send('POST', '/v1/contacts/query', { token: admin, body: { where: { field: 'deal_count', operator: 'greaterThan', value: 0 } } });
    expect(form.status).toBe(400);
    expect(form.body.detail).toMatch(/computed/);
    // A name once: an alias that clashes with a column is refused.
    expect((await get('/v1/contacts?select=id,id:deal_count', { token: admin })).status).toBe(400);
  });
});
