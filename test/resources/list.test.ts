import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { CATALOG } from '../../src/resources/registry';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor, warmCaller } from '../support/http';
import { explain, withClient } from '../support/sql';

/** The planner's row estimate for `select 1 <fromWhere>` (EXPLAIN, nothing run): what count=planned should report. */
const plannerEstimate = async (fromWhere: string, values: unknown[]) =>
  ((await explain(`select 1 ${fromWhere}`, values)).plan as { 'Plan Rows': number })['Plan Rows'];

// Route tests for the one compiler behind /v1/{resource}. The fixture is a fresh org with
// designed contacts (plus a company and tags) so every expectation is computed by hand.
describe('GET /v1/contacts', () => {
  let org: TestOrg;
  let other: TestOrg;
  let token: string;
  let ids: string[];
  let companyId: string;

  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
    ids = await createContacts(org.id, [
      { first_name: 'Anna', last_name: 'Berg', email: 'anna@berg.example', gender: 'female', birthday: '1985-03-04' },
      { first_name: 'Hannah', last_name: 'Smith', email: 'hannah.smith@example.com', gender: 'female', birthday: '1990-07-15' },
      { first_name: 'John', last_name: 'Doe', email: 'john@doe.example', gender: 'male', birthday: null },
      { first_name: 'Daniel', last_name: 'Anderson', email: 'dan@anderson.example', gender: 'male', birthday: '1979-12-31' },
      { first_name: 'Maria', last_name: null, email: null, gender: null, birthday: '2001-02-28' },
      { first_name: 'Zoe', last_name: 'Gone', deleted_at: '2025-03-01T00:00:00Z' },
    ]);
    await createContacts(other.id, [{ first_name: 'Anna', last_name: 'Berg' }]);
    await withClient(async (c) => {
      companyId = (await c.query(`insert into companies (org_id, name, domain) values ($1, 'Acme GmbH', 'acme.example') returning id`, [org.id])).rows[0].id;
      await c.query(`update contacts set primary_company_id = $1, status = 'inactive', lifecycle_stage = 'customer' where id = any($2::uuid[])`, [
        companyId,
        [ids[0], ids[1]],
      ]);
      const vip = (await c.query(`insert into tags (org_id, name) values ($1, 'vip') returning id`, [org.id])).rows[0].id;
      const churn = (await c.query(`insert into tags (org_id, name) values ($1, 'churn-risk') returning id`, [org.id])).rows[0].id;
      await c.query(`insert into contact_tags (org_id, entity_id, tag_id) values ($1,$2,$3), ($1,$4,$3), ($1,$4,$5)`, [org.id, ids[0], vip, ids[1], churn]);
    });
    token = await tokenFor(org.users.member);
  });

  const list = (qs: string, headers: Record<string, string> = {}) => get(`/v1/contacts?${qs}`, { token, headers });
  const idsOf = (res: { body: { data: Array<{ id: string }> } }) => res.body.data.map((r) => r.id);
  /** Fixture rows were created in index order, so the default order (created_at desc) is reverse index order. */
  const newestFirst = (...is: number[]) => is.sort((a, b) => b - a).map((i) => ids[i]);

  it("lists live rows of the caller's org, newest first, in the envelope", async () => {
    await warmCaller(token); // the caller's lookup is a statement of its own: out of the count
    const res = await list('');
    expect(res.status).toBe(200);
    expect(idsOf(res)).toEqual(newestFirst(0, 1, 2, 3, 4));
    expect(res.body.page).toEqual({ limit: 25, nextCursor: null, hasMore: false });
    // The page, and the org's sharing version (the access check, pipelined with it).
    expect(res.body.meta).toMatchObject({ requestId: res.headers.get('x-request-id'), tier: 'db', stale: false, queries: 2 });
    expect(res.headers.get('content-range')).toBe('0-4/*');
    expect(res.body.data[0]).not.toHaveProperty('search');
    expect(res.body.data[0]).not.toHaveProperty('deleted_at');
  });

  const cases: Array<[string, number[]]> = [
    ['first_name=eq.Anna', [0]],
    ['first_name=neq.Anna', [1, 2, 3, 4]],
    ['last_name=ilike.*an*', [3]],
    ['email=like.*example.com', [1]],
    ['first_name=in.(Anna,John,"Nobody, Really")', [0, 2]],
    ['last_name=is.null', [4]],
    ['last_name=not.is.null', [0, 1, 2, 3]],
    ['birthday=gte.1985-01-01', [0, 1, 4]],
    ['birthday=lt.1985-03-04', [3]],
    ['gender=eq.male&birthday=is.null', [2]],
    ['or=(first_name.eq.Anna,last_name.eq.Doe)', [0, 2]],
    ['or=(first_name.eq.Anna,and(gender.eq.male,birthday.gt.1980-01-01))', [0]],
    ['not.or=(gender.eq.female,gender.is.null)', [2, 3]],
    ['first_name=not.in.(Anna,Hannah)', [2, 3, 4]],
    ['name=ilike.*an*', [0, 1, 3]],
    ['status=eq.inactive', [0, 1]],
    ['tags=cs.{vip}', [0, 1]],
    ['tags=cs.{vip,churn-risk}', [1]],
    ['tags=ov.{churn-risk,nope}', [1]],
    // Tag names match without regard to case.
    ['tags=cs.{VIP}', [0, 1]],
    ['tags=ov.{Churn-Risk,nope}', [1]],
    ['primary_company_id=eq.COMPANY', [0, 1]],
    ['search=wfts.hannah', [1]],
  ];
  for (const [qs, expected] of cases) {
    it(`filters: ${qs}`, async () => {
      const res = await list(qs.replace('COMPANY', companyId));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(idsOf(res)).toEqual(newestFirst(...expected));
    });
  }

  it('shows soft-deleted rows only when asked', async () => {
    expect(idsOf(await list('deleted=only'))).toEqual([ids[5]]);
    expect(idsOf(await list('deleted=include'))).toEqual(newestFirst(0, 1, 2, 3, 4, 5));
  });

  it('orders by a sortable field with NULLs where the index puts them, id breaking ties', async () => {
    expect(idsOf(await list('order=last_name.asc'))).toEqual([ids[3], ids[0], ids[2], ids[1], ids[4]]);
    expect(idsOf(await list('order=last_name.desc'))).toEqual([ids[4], ids[1], ids[2], ids[0], ids[3]]);
    expect(idsOf(await list('order=birthday.asc'))).toEqual([ids[3], ids[0], ids[1], ids[4], ids[2]]);
  });

  it('refuses orders no index serves', async () => {
    const res = await list('order=status.asc');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_query');
    expect(res.body.detail).toMatch(/Sortable: .*last_name/);
    expect((await list('order=nope.asc')).body.code).toBe('unknown_field');
  });

  it('embeds relations with select, in the same statement', async () => {
    await warmCaller(token);
    const res = await list('select=id,first_name,company(name,domain),tags(name)&order=first_name.asc&first_name=in.(Anna,John)');
    expect(res.body.data).toEqual([
      { id: ids[0], first_name: 'Anna', company: { name: 'Acme GmbH', domain: 'acme.example' }, tags: [{ name: 'vip' }] },
      { id: ids[2], first_name: 'John', company: null, tags: [] },
    ]);
    // One statement for the page and its embeds, beside the sharing version check.
    expect(res.body.meta.queries).toBe(2);
    expect((await list('select=id,nope')).body.code).toBe('unknown_field');
    expect((await list('select=id,wallet(name)')).body.code).toBe('unknown_field');
  });

  it('renames columns and relations with PostgREST aliases (alias:field)', async () => {
    const res = await list('select=contactId:id,firstName:first_name,employer:company(label:name),tags(name)&first_name=eq.Anna');
    expect(res.body.data).toEqual([{ contactId: ids[0], firstName: 'Anna', employer: { label: 'Acme GmbH' }, tags: [{ name: 'vip' }] }]);
    // One name per value in the answer, and only plain names: each is a quoted identifier and a JSON key.
    for (const bad of [
      'select=id,id:first_name',
      'select=company:first_name,company(name)',
      'select=first-name:first_name',
      'select="x:first_name',
      'select=__k0:id',
      'select=id,company!inner(name)',
    ]) {
      const r = await list(bad);
      expect(r.status, bad).toBe(400);
      expect(r.body.code, bad).toBe('invalid_query');
    }
  });

  async function walk(qs: string, pageSize: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof list>> = await list(`limit=${pageSize}&${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...idsOf(res));
      cursor = res.body.page.nextCursor;
      expect(res.body.page.hasMore).toBe(cursor !== null);
    } while (cursor);
    return seen;
  }

  it('walks every row exactly once by cursor, through NULLs in either direction', async () => {
    for (const size of [1, 2, 3]) {
      expect(await walk('order=last_name.asc', size)).toEqual([ids[3], ids[0], ids[2], ids[1], ids[4]]);
      expect(await walk('order=last_name.desc', size)).toEqual([ids[4], ids[1], ids[2], ids[0], ids[3]]);
      expect(await walk('order=birthday.desc', size)).toEqual([ids[2], ids[4], ids[1], ids[0], ids[3]]);
      expect(await walk('', size)).toEqual(newestFirst(0, 1, 2, 3, 4));
      expect(await walk('order=last_name.asc,first_name.desc', size)).toEqual([ids[3], ids[0], ids[2], ids[1], ids[4]]);
    }
  });

  // A substring filter on a name, ordered by that name, is checked per distinct name
  // (value-walk.ts); NULLs, other fields, deleted=include and offsets take the plain page.
  it('a substring filter on the order field walks the same rows, page by page, in either direction', async () => {
    for (const size of [1, 2, 5]) {
      expect(await walk('last_name=ilike.*e*&order=last_name.asc', size)).toEqual([ids[3], ids[0], ids[2]]);
      expect(await walk('last_name=ilike.*e*&order=last_name.desc', size)).toEqual([ids[2], ids[0], ids[3]]);
      expect(await walk('last_name=ilike.*e*&status=eq.active&order=last_name.asc', size)).toEqual([ids[3], ids[2]]);
      expect(await walk('first_name=ilike.*an*&order=first_name.desc', size)).toEqual([ids[1], ids[3], ids[0]]);
      expect(await walk('or=(last_name.ilike.*e*,last_name.is.null)&order=last_name.asc', size)).toEqual([ids[3], ids[0], ids[2], ids[4]]);
      expect(await walk('or=(last_name.ilike.*e*,last_name.is.null)&order=last_name.desc', size)).toEqual([ids[4], ids[2], ids[0], ids[3]]);
      expect(await walk('email=ilike.*example*&order=email.asc', size)).toEqual([ids[0], ids[3], ids[1], ids[2]]);
      expect(await walk('last_name=ilike.*e*&deleted=include&order=last_name.asc', size)).toEqual([ids[3], ids[0], ids[2], ids[5]]);
    }
    // relations and tag filters ride along with the walked rows
    const embedded = await list('last_name=ilike.*e*&order=last_name.asc&select=id,company(name)');
    expect(embedded.body.data).toEqual([
      { id: ids[3], company: null },
      { id: ids[0], company: { name: 'Acme GmbH' } },
      { id: ids[2], company: null },
    ]);
    expect(idsOf(await list('last_name=ilike.*e*&tags=cs.{vip}&order=last_name.desc'))).toEqual([ids[0]]);
    // offset counts rows the page skips, past the walk's own limit
    const skipped = await list('last_name=ilike.*e*&order=last_name.asc&offset=1&limit=1');
    expect([idsOf(skipped), skipped.body.page.hasMore]).toEqual([[ids[0]], true]);
    expect(idsOf(await list('last_name=ilike.*e*&order=last_name.asc&offset=2&limit=1'))).toEqual([ids[2]]);
  });

  it('a cursor walk neither skips nor repeats rows that existed at the start while rows are inserted', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const res: Awaited<ReturnType<typeof list>> = await list(`limit=2&order=last_name.asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...idsOf(res));
      cursor = res.body.page.nextCursor;
      // Concurrent inserts before and after the cursor position.
      await createContacts(org.id, [{ first_name: `New${round}`, last_name: round % 2 ? 'Aaa' : 'Zzz' }]);
      round++;
    } while (cursor);
    const original = [ids[3], ids[0], ids[2], ids[1], ids[4]];
    expect(seen.filter((id) => original.includes(id))).toEqual(original);
    expect(new Set(seen).size).toBe(seen.length);
    await withClient((c) => c.query(`delete from contacts where org_id = $1 and first_name like 'New%'`, [org.id]));
  });

  it('rejects tampered, mismatched and other-org cursors', async () => {
    const first = await list('limit=2');
    const cursor: string = first.body.page.nextCursor;
    const [body, sig] = cursor.split('.');
    const flipped = `${body.slice(0, -2)}${body.slice(-2) === 'AA' ? 'AB' : 'AA'}.${sig}`;
    for (const bad of [flipped, `${body}.${sig.slice(0, -1)}x`, 'garbage', `${body}`]) {
      const res = await list(`limit=2&cursor=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe('invalid_cursor');
    }
    const mismatch = await list(`limit=2&order=last_name.asc&cursor=${encodeURIComponent(cursor)}`);
    expect(mismatch.body.code).toBe('invalid_cursor');
    const otherOrg = await get(`/v1/contacts?limit=2&cursor=${encodeURIComponent(cursor)}`, { token: await tokenFor(other.users.admin) });
    expect(otherOrg.body.code).toBe('invalid_cursor');
  });

  it('bounds offset and says to use a cursor', async () => {
    expect(idsOf(await list('offset=3&limit=1'))).toEqual([ids[1]]);
    const res = await list('offset=20000');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/cursor/);
  });

  it('counts exact, planned and estimated, and reports them in Content-Range', async () => {
    await warmCaller(token);
    const exact = await list('limit=2', { Prefer: 'count=exact' });
    expect(exact.body.count).toEqual({ value: 5, method: 'exact' });
    expect(exact.headers.get('content-range')).toBe('0-1/5');
    // The count does not wait for the page: both statements are in flight together (pipelined).
    // Page and count together (with the sharing version check: 3, all at once when the caller's grants are held).
    expect(exact.headers.get('server-timing')).toMatch(/db;dur=[\d.]+;desc="3 queries, [23] at once"/);
    const estimated = await list('limit=2', { Prefer: 'count=estimated' });
    expect(estimated.body.count).toEqual({ value: 5, method: 'exact' });
    // Planned: the planner's guess for the org's live rows, whatever it is (here it knows
    // nothing of a fresh org), never a count.
    const planned = await list('limit=2', { Prefer: 'count=planned' });
    const guess = await plannerEstimate('from contacts c where c.org_id = $1 and c.deleted_at is null', [org.id]);
    expect(planned.body.count).toEqual({ value: guess, method: 'planned' });
    expect(planned.headers.get('content-range')).toBe(`0-1/${guess}`);
  });

  it('searches: trigram for one term, full text for words, prefix for short input', async () => {
    const trgm = await list('q=nders');
    expect(idsOf(trgm)).toEqual([ids[3]]);
    expect(trgm.body.meta.searchMode).toMatchObject({ mode: 'trigram', ranked: true });
    const typo = await list('q=Hanah');
    expect(idsOf(typo)).toContain(ids[1]);
    expect(typo.body.meta.searchMode).toMatchObject({ mode: 'fuzzy', reason: expect.stringMatching(/no substring match/) });
    const typoOnly = await list('q=Andersen');
    expect(idsOf(typoOnly)).toEqual([ids[3]]);
    expect(typoOnly.body.meta.searchMode.mode).toBe('fuzzy');
    const fts = await list(`q=${encodeURIComponent('john doe')}`);
    expect(idsOf(fts)).toEqual([ids[2]]);
    expect(fts.body.meta.searchMode.mode).toBe('fts');
    const prefix = await list('q=ma');
    expect(idsOf(prefix)).toEqual([ids[4]]);
    expect(prefix.body.meta.searchMode.mode).toBe('prefix');
    const short = await list('q=ma&search_mode=trigram');
    expect(short.status).toBe(400);
    const ordered = await list('q=an&order=first_name.asc&search_mode=prefix');
    expect(ordered.body.meta.searchMode.ranked).toBe(false);
  });

  it('a typo-tolerant result keeps its mode on the next page (through the signed cursor)', async () => {
    // Two names one letter from the term, neither containing it: the fallback finds both, a page each.
    const typos = await createOrg();
    const expected = await createContacts(typos.id, [
      { first_name: 'Dana', last_name: 'Anderson' },
      { first_name: 'Eli', last_name: 'Andersan' },
    ]);
    const typoToken = await tokenFor(typos.users.member);
    const first = await get('/v1/contacts?q=Andersen&limit=1', { token: typoToken });
    expect(first.body.meta.searchMode.mode).toBe('fuzzy');
    const cursor: string = first.body.page.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const next = await get(`/v1/contacts?q=Andersen&limit=1&cursor=${encodeURIComponent(cursor)}`, { token: typoToken });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.meta.searchMode.mode).toBe('fuzzy');
    expect(next.body.page).toMatchObject({ nextCursor: null, hasMore: false });
    expect([...idsOf(first), ...idsOf(next)].sort()).toEqual([...expected].sort());
  });

  it('ranked search pages carry the selected columns and relations of each row', async () => {
    // Ranked pages rank narrow candidates, then join their rows back: the join must bring the
    // right row's columns and embeds, and only rows of this org.
    const res = await list('q=anna&select=id,first_name,company(name),tags(name)');
    expect(res.status).toBe(200);
    expect(res.body.meta.searchMode).toMatchObject({ mode: 'trigram', ranked: true });
    expect(res.body.data).toEqual([
      { id: ids[0], first_name: 'Anna', company: { name: 'Acme GmbH' }, tags: [{ name: 'vip' }] },
      { id: ids[1], first_name: 'Hannah', company: { name: 'Acme GmbH' }, tags: [{ name: 'churn-risk' }, { name: 'vip' }] },
    ]);
    const fts = await list(`q=${encodeURIComponent('hannah smith')}&select=first_name,company(name)`);
    expect(fts.body.data).toEqual([{ first_name: 'Hannah', company: { name: 'Acme GmbH' } }]);
    // Every ranked mode ranks the same capped candidate set (the 200 most recent matches).
    expect(res.body.meta.searchMode.candidates).toBe(200);
    expect(fts.body.meta.searchMode).toMatchObject({ mode: 'fts', ranked: true, candidates: 200 });
    // offset pages through the ranked result (PostgREST clients page with Range / offset)
    const second = await list('q=anna&select=id&offset=1&limit=1');
    expect([idsOf(second), second.body.page.hasMore]).toEqual([[ids[1]], false]);
  });

  it('counts every search mode with every count method', async () => {
    // A parameter only the ranking uses once leaked into the count statement: Postgres could
    // not type it and the request was a 500. Each term matches several rows, so a count that
    // is not the one asked for (a planned count that counted, an estimate) shows.
    const cases: Array<[string, string, number[]]> = [
      ['ann', 'trigram', [0, 1]],
      ['exampel', 'fuzzy', [0, 1, 2, 3]],
      ['anna or hannah', 'fts', [0, 1]],
      ['an', 'prefix', [0, 3]],
    ];
    for (const [q, mode, expected] of cases) {
      const qs = `q=${encodeURIComponent(q)}`;
      const exact = await list(qs, { Prefer: 'count=exact' });
      expect(exact.status, `${q} count=exact`).toBe(200);
      expect(exact.body.meta.searchMode.mode, q).toBe(mode);
      expect([...idsOf(exact)].sort(), q).toEqual(expected.map((i) => ids[i]).sort());
      expect(exact.body.count, `${q} count=exact`).toEqual({ value: expected.length, method: 'exact' });
      // Far below COUNT_EXACT_LIMIT, an estimated count is counted exactly.
      const estimated = await list(qs, { Prefer: 'count=estimated' });
      expect(estimated.status, `${q} count=estimated`).toBe(200);
      expect(estimated.body.count, `${q} count=estimated`).toEqual({ value: expected.length, method: 'exact' });
      // Planned: the planner's estimate for the search's own filter (the typo fallback's for a fuzzy result).
      const planned = await list(qs, { Prefer: 'count=planned' });
      expect(planned.status, `${q} count=planned`).toBe(200);
      const plan = planList({
        catalog: CATALOG,
        resource: CATALOG.contacts,
        req: parseQueryString(new URLSearchParams(qs)),
        orgId: org.id,
        fallback: mode === 'fuzzy',
      });
      expect(planned.body.count, `${q} count=planned`).toEqual({ value: await plannerEstimate(plan.fromWhere, plan.filterValues), method: 'planned' });
    }
  });

  it("answers the JSON query form with the seeds' operator names", async () => {
    const res = await SELF.fetch('http://localhost/v1/contacts/query', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        where: {
          or: [
            { field: 'name', operator: 'contains', value: 'an' },
            { field: 'email', operator: 'endsWith', value: 'doe.example' },
          ],
        },
        orderBy: [{ field: 'first_name', direction: 'asc' }],
        select: 'id,first_name',
        count: 'exact',
      }),
    });
    const body = await res.json<{ data: Array<{ first_name: string }>; count: unknown }>();
    expect(res.status).toBe(200);
    expect(body.data.map((r) => r.first_name)).toEqual(['Anna', 'Daniel', 'Hannah', 'John']);
    expect(body.count).toEqual({ value: 4, method: 'exact' });
    const bad = await SELF.fetch('http://localhost/v1/contacts/query', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ where: { field: 'first_name', operator: 'regex', value: '.*' } }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ code: string }>()).code).toBe('invalid_body');
  });

  it('isEmpty / is.empty: NULL for every type, and the empty string too for text', async () => {
    const query = async (where: unknown) => {
      const res = await SELF.fetch('http://localhost/v1/contacts/query', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ where, select: 'id', orderBy: [{ field: 'id', direction: 'asc' }] }),
      });
      expect(res.status, JSON.stringify(where)).toBe(200);
      return (await res.json<{ data: Array<{ id: string }> }>()).data.map((r) => r.id);
    };
    const viaQs = async (qs: string) => idsOf(await list(`${qs}&select=id&order=id.asc`));
    // A date and an enum have no empty string: isEmpty there is IS NULL (it was a 400).
    expect(await query({ field: 'birthday', operator: 'isEmpty' })).toEqual(await viaQs('birthday=is.null'));
    expect(await query({ field: 'gender', operator: 'isNotEmpty' })).toEqual(await viaQs('gender=not.is.null'));
    expect(await viaQs('birthday=is.empty')).toEqual(await viaQs('birthday=is.null'));
    const email = await withClient(
      async (c) =>
        (await c.query(`update contacts c set email = '' from contacts old where c.id = $1 and old.id = c.id returning old.email`, [ids[1]])).rows[0].email,
    );
    try {
      const blankOrNull = await viaQs('or=(email.is.null,email.eq."")');
      expect(blankOrNull).toContain(ids[1]);
      expect(await query({ field: 'email', operator: 'isEmpty' })).toEqual(blankOrNull);
      expect(await viaQs('email=is.empty')).toEqual(blankOrNull);
      expect(await viaQs('email=is.not_empty')).toEqual(await viaQs('email=not.is.null&email=neq.""'));
    } finally {
      await withClient((c) => c.query('update contacts set email = $2 where id = $1', [ids[1], email]));
    }
  });

  it('gets one record, and a record of another org is a 404', async () => {
    const one = await get(`/v1/contacts/${ids[0]}?select=id,first_name,company(name)`, { token });
    expect(one.body.data).toEqual({ id: ids[0], first_name: 'Anna', company: { name: 'Acme GmbH' } });
    const foreign = await get(`/v1/contacts/${ids[0]}`, { token: await tokenFor(other.users.admin) });
    expect(foreign.status).toBe(404);
    expect((await get(`/v1/contacts/${ids[5]}`, { token })).status).toBe(404);
    expect((await get(`/v1/contacts/${ids[5]}?deleted=include`, { token })).status).toBe(200);
    expect((await get('/v1/contacts/not-a-uuid', { token })).status).toBe(400);
  });

  it('rejects unknown fields, unsupported operators and wrongly typed values with the path', async () => {
    expect((await list('password=eq.x')).body).toMatchObject({ code: 'unknown_field', errors: [{ path: 'password' }] });
    expect((await list('gender=ilike.*m*')).body).toMatchObject({ code: 'unsupported_operator' });
    expect((await list('first_name=regex.x')).body).toMatchObject({ code: 'unsupported_operator' });
    expect((await list('birthday=gt.yesterday')).body).toMatchObject({ code: 'invalid_query', errors: [{ path: 'birthday' }] });
    expect((await list('owner_id=eq.1')).body).toMatchObject({ code: 'invalid_query' });
    expect((await list('gender=eq.robot')).body.code).toBe('invalid_query');
    expect((await list('limit=5000')).body.code).toBe('invalid_query');
    expect((await list('first_name=Anna')).body.code).toBe('invalid_query');
    expect((await list('or=(first_name.eq.Anna')).body.code).toBe('invalid_query');
  });
});

describe('search folds case beyond ASCII', () => {
  let token: string;
  let id: string;
  beforeAll(async () => {
    const org = await createOrg();
    [id] = await createContacts(org.id, [
      { first_name: 'JÖRG', last_name: 'Ölkers', email: 'joerg@oelkers.example' },
      { first_name: 'Jorg', last_name: 'Olkers' },
    ]);
    token = await tokenFor(org.users.admin);
  });
  const ids = async (qs: string) => {
    const res = await get(`/v1/contacts?${qs}`, { token });
    expect(res.status, qs).toBe(200);
    return res.body.data.map((r: { id: string }) => r.id);
  };

  it('substring, full-text and ilike find Ölkers by ölk, and not Olkers', async () => {
    // The cluster is initialised with the builtin C.UTF-8 locale: lower(), ILIKE and
    // to_tsvector map 'Ö' to 'ö' (with plain C they fold ASCII only and these miss).
    expect(await ids('q=ölk')).toEqual([id]);
    expect(await ids(`q=${encodeURIComponent('jörg ölkers')}`)).toEqual([id]);
    expect(await ids('last_name=ilike.*ÖLK*')).toEqual([id]);
  });
});

describe('quick search over search_text', () => {
  let org: TestOrg;
  let token: string;
  beforeAll(async () => {
    org = await createOrg();
    token = await tokenFor(org.users.admin);
  });
  const ids = async (path: string) => {
    const res = await get(path, { token });
    expect(res.status, path).toBe(200);
    expect(res.body.meta.searchMode.mode, path).toBe('trigram');
    return res.body.data.map((r: { id: string }) => r.id);
  };

  it('treats LIKE wildcards in the term as text', async () => {
    const [underscore, other, percent] = await createContacts(org.id, [
      { first_name: 'Una', last_name: 'Score', email: 'una_sc@wild.example' },
      { first_name: 'Unax', last_name: 'Sc', email: 'unaxsc@wild.example' },
      { first_name: 'Per', last_name: 'Cent', email: 'per100%off@wild.example' },
    ]);
    expect(await ids('/v1/contacts?q=una_sc')).toEqual([underscore]);
    expect(await ids(`/v1/contacts?q=${encodeURIComponent('100%off')}`)).toEqual([percent]);
    expect(await ids('/v1/contacts?q=UNAXSC')).toEqual([other]);
  });

  it('covers every field it concatenates, on contacts, leads and companies', async () => {
    const [contact] = await createContacts(org.id, [{ first_name: 'Quirin', last_name: 'Zabel', email: 'qz@kontor.example' }]);
    const { lead, company } = await withClient(async (c) => ({
      lead: (
        await c.query(
          `insert into leads (org_id, first_name, last_name, email, company_name) values ($1, 'Lea', 'Lead', 'lea@lead.example', 'Größe Söhne AG') returning id`,
          [org.id],
        )
      ).rows[0].id,
      company: (await c.query(`insert into companies (org_id, name, domain) values ($1, 'Yarrow Works', 'yarrow-works.example') returning id`, [org.id]))
        .rows[0].id,
    }));
    for (const q of ['quirin', 'zabel', 'kontor']) expect(await ids(`/v1/contacts?q=${q}`), q).toEqual([contact]);
    for (const q of ['lea@', 'söhne', 'GRÖßE']) expect(await ids(`/v1/leads?q=${encodeURIComponent(q)}`), q).toEqual([lead]);
    for (const q of ['yarrow', 'works.exa']) expect(await ids(`/v1/companies?q=${q}`), q).toEqual([company]);
  });
});

describe('full-text search on org-tagged lexemes', () => {
  let token: string;
  let ids: string[];
  beforeAll(async () => {
    const [org, other] = await Promise.all([createOrg(), createOrg()]);
    ids = await createContacts(org.id, [
      { first_name: 'Maria', last_name: 'Müller', email: 'mm@tag.example' },
      { first_name: 'Müller', last_name: 'Maria', email: 'm2@tag.example' },
      { first_name: 'Mariana', last_name: 'Berg', email: 'mb@tag.example' },
      { first_name: 'Seán', last_name: "O'Brien", email: 'sob@tag.example' },
    ]);
    // The same words in another org: its rows share no posting with ours and never show.
    await createContacts(other.id, [
      { first_name: 'Maria', last_name: 'Müller', email: 'mm@other.example' },
      { first_name: 'Seán', last_name: "O'Brien" },
    ]);
    token = await tokenFor(org.users.admin);
  });
  const found = async (qs: string) => {
    const res = await get(`/v1/contacts?${qs}`, { token });
    expect(res.status, qs).toBe(200);
    return res.body.data.map((r: { id: string }) => ids.indexOf(r.id)).sort();
  };
  const q = (s: string) => `q=${encodeURIComponent(s)}`;

  it('words, phrases, negation and prefixes match within the org only', async () => {
    expect(await found(q('maria müller'))).toEqual([0, 1]);
    expect(await found(q('"maria müller"'))).toEqual([0]);
    expect(await found(q('maria -berg'))).toEqual([0, 1]);
    expect(await found(q('mariana or müller'))).toEqual([0, 1, 2]);
    expect(await found('q=ma')).toEqual([0, 1, 2]);
    expect(await found(q("seán o'brien"))).toEqual([3]);
  });

  it('every full-text filter operator, with and without a config', async () => {
    expect(await found('search=fts.maria')).toEqual([0, 1]);
    expect(await found(`search=fts.${encodeURIComponent('mari:*')}`)).toEqual([0, 1, 2]);
    expect(await found(`search=plfts.${encodeURIComponent("o'brien")}`)).toEqual([3]);
    expect(await found(`search=phfts.${encodeURIComponent('müller maria')}`)).toEqual([1]);
    expect(await found(`search=wfts.${encodeURIComponent('"maria müller" or berg')}`)).toEqual([0, 2]);
    expect(await found(`search=phfts(simple).${encodeURIComponent('maria müller')}`)).toEqual([0]);
    expect(await found(`search=not.fts.maria`)).toEqual([2, 3]);
  });
});
