import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { parseAppUsersQuery } from '../../src/resources/appusers/parse';
import { listAppUsers } from '../../src/resources/appusers/service';
import { type ContactInput, createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { sql } from '../support/sql';

// A designed fixture: every filter has matches and near-misses. Expected results are computed
// here in JS from the fixture, independently of the SQL under test.
const people: ContactInput[] = [
  {
    first_name: 'Anna',
    last_name: 'Berg',
    gender: 'female',
    phone: '+49 30 1111',
    birthday: '1985-03-04',
    address: { city: 'Berlin', country: 'Germany', street: 'Friedrichstraße', city_code: 'BER' },
    relationships: [{ points: 100, created_at: '2024-01-01T00:00:00Z', last_activity_at: '2025-06-01T00:00:00Z' }],
  },
  {
    first_name: 'Hannah',
    last_name: 'Smith',
    gender: 'female',
    phone: '+41 31 2222',
    birthday: '1990-07-15',
    address: { city: 'Bern', country: 'Switzerland', street: 'Bundesplatz', city_code: 'BRN' },
    relationships: [{ points: 500, created_at: '2024-02-01T00:00:00Z', last_activity_at: '2024-03-01T00:00:00Z' }],
  },
  {
    first_name: 'John',
    last_name: 'Doe',
    gender: 'male',
    phone: '+44 20 3333',
    birthday: '1979-12-31',
    address: { city: 'London', country: 'United Kingdom', street: 'Baker Street', city_code: 'LON' },
    relationships: [{ points: 1500, created_at: '2023-05-01T00:00:00Z', last_activity_at: '2025-01-10T00:00:00Z' }],
  },
  {
    first_name: 'Daniel',
    last_name: 'Anderson',
    gender: 'male',
    phone: '+47 55 4444',
    birthday: '1985-03-04',
    address: { city: 'Bergen', country: 'Norway', street: 'Bryggen', city_code: 'BGO' },
    relationships: [
      { points: 50, created_at: '2024-01-01T00:00:00Z', last_activity_at: '2025-09-01T00:00:00Z' },
      { points: 2000, created_at: '2022-01-01T00:00:00Z', last_activity_at: '2022-06-01T00:00:00Z' },
      { points: 1200, created_at: '2023-06-01T00:00:00Z', last_activity_at: null },
    ],
  },
  {
    first_name: 'Maria',
    last_name: 'Garcia',
    gender: 'female',
    phone: '+34 91 5555',
    birthday: '2001-02-28',
    address: { city: 'Madrid', country: 'Spain', street: 'Gran Vía', city_code: 'MAD' },
  },
  {
    first_name: 'Ian',
    last_name: 'Banner',
    gender: 'other',
    phone: '+49 30 6666',
    birthday: null,
    address: { city: 'Berlin', country: 'Germany', street: 'Unter den Linden', city_code: 'BER' },
  },
  {
    first_name: 'Zoe',
    last_name: 'Deleted',
    gender: 'female',
    phone: '+49 30 7777',
    address: { city: 'Berlin', country: 'Germany', street: 'Alexanderplatz' },
    deleted_at: '2025-02-01T00:00:00Z',
  },
  { first_name: 'Li', last_name: 'Wei', gender: 'unknown', phone: null, birthday: '1995-05-05', address: null },
  {
    first_name: 'Anton',
    last_name: 'Bergmann',
    gender: 'male',
    phone: '+49 40 8888',
    birthday: '1970-01-01',
    address: { city: 'Hamburg', country: 'Germany', street: 'Bergstraße', city_code: 'HAM' },
    relationships: [{ points: 999, created_at: '2025-01-01T00:00:00Z', last_activity_at: null }],
  },
  {
    first_name: '100%_real',
    last_name: "O'Brien",
    gender: 'male',
    phone: '+1 212 9999',
    address: { city: 'New York', country: 'United States', street: 'Broadway' },
  },
  ...Array.from(
    { length: 30 },
    (_, i): ContactInput => ({
      first_name: `Filler`,
      last_name: `Person${String(i).padStart(2, '0')}`,
      gender: i % 2 ? 'male' : 'female',
      phone: `+33 1 ${1000 + i}`,
      address: { city: 'Paris', country: 'France', street: 'Rue de Rivoli' },
    }),
  ),
];

const live = () => people.map((p, i) => ({ p, i })).filter(({ p }) => !p.deleted_at);
const has = (v: string | null | undefined, needle: string) => (v ?? '').toLowerCase().includes(needle.toLowerCase());

describe('GET /api/v1/appusers/', () => {
  let org: TestOrg;
  let other: TestOrg;
  let token: string;
  let ids: string[];

  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
    ids = await createContacts(org.id, people);
    // Another tenant with look-alike rows: none of them may ever leak into org's answers.
    await createContacts(
      other.id,
      people.slice(0, 6).map((p) => ({ ...p, customer_id: undefined })),
    );
    token = await tokenFor(org.users.admin);
  });

  const list = (qs: string) => get(`/api/v1/appusers/?${qs}`, { token });
  /** Default order is -created: the fixture was inserted with increasing created_at. */
  const expectIds = (expected: number[]) => expected.sort((a, b) => b - a).map((i) => ids[i]);

  it('returns the seed shape', async () => {
    const res = await list(`customer_id=${encodeURIComponent('x')}`);
    expect(res.status).toBe(200);
    const all = await list('page_size=1000');
    const anna = all.body.results.find((r: any) => r.id === ids[0]);
    expect(anna).toEqual({
      id: ids[0],
      first_name: 'Anna',
      last_name: 'Berg',
      gender: 'Female',
      customer_id: expect.any(String),
      phone_number: '+49 30 1111',
      created: '2025-01-01T00:00:00.000000Z',
      birthday: '1985-03-04',
      last_updated: '2025-01-01T00:00:00.000000Z',
      address: { street: 'Friedrichstraße', street_number: '1', city_code: 'BER', city: 'Berlin', country: 'Germany' },
      relationships: [{ points: 100, created: '2024-01-01T00:00:00.000000Z', last_activity: '2025-06-01T00:00:00.000000Z' }],
    });
    expect(all.body).toMatchObject({ count: live().length, page: 1, pages: 1 });
    expect(all.body.meta).toMatchObject({ cache_hit: false, count_method: 'exact', request_id: all.headers.get('x-request-id') });
    expect(all.body.meta.query_time).toBeGreaterThan(0); // it ran statements: the database time is measured, not left at 0
    expect(all.body.meta.response_time).toBeGreaterThanOrEqual(all.body.meta.query_time);
    // A numbered page does not wait for the count: both are in flight together (pipelined).
    expect(all.headers.get('server-timing')).toMatch(/db;dur=[\d.]+;desc="\d queries, [23] at once"/);
    const li = all.body.results.find((r: any) => r.id === ids[7]);
    expect(li.address).toBeNull();
    expect(li.relationships).toEqual([]);
    // Newest first (the service's `order_by('-created')`), whatever the order they were added in.
    const daniel = all.body.results.find((r: any) => r.id === ids[3]);
    expect(daniel.relationships).toEqual([
      { points: 50, created: '2024-01-01T00:00:00.000000Z', last_activity: '2025-09-01T00:00:00.000000Z' },
      { points: 1200, created: '2023-06-01T00:00:00.000000Z', last_activity: null },
      { points: 2000, created: '2022-01-01T00:00:00.000000Z', last_activity: '2022-06-01T00:00:00.000000Z' },
    ]);
  });

  it("answers gender as the model's choice labels", async () => {
    const all = (await list('page_size=1000')).body.results as any[];
    const label: Record<string, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Prefer not to say' };
    const expected = new Map(live().map(({ p, i }) => [ids[i], label[p.gender!]]));
    expect(new Map(all.map((r) => [r.id, r.gender]))).toEqual(expected);
    expect(all.find((r) => r.id === ids[7]).gender).toBe('Prefer not to say');
    expect(new Set(all.map((r) => r.gender))).toEqual(new Set(['Female', 'Male', 'Other', 'Prefer not to say']));
  });

  it('filters gender by its label, without regard to case; a value that is no choice matches nothing', async () => {
    const byGender = (g: string) =>
      expectIds(
        live()
          .filter(({ p }) => p.gender === g)
          .map(({ i }) => i),
      );
    for (const [value, gender] of [
      ['Prefer not to say', 'unknown'],
      ['prefer not to say', 'unknown'],
      ['unknown', 'unknown'],
      ['Female', 'female'],
      ['male', 'male'],
      ['Other', 'other'],
    ]) {
      const res = await list(`gender=${encodeURIComponent(value)}&page_size=100`);
      expect(res.status, value).toBe(200);
      expect(
        res.body.results.map((r: any) => r.id),
        value,
      ).toEqual(byGender(gender));
      expect(res.body.count, value).toBe(byGender(gender).length);
    }
    expect(byGender('unknown')).toEqual([ids[7]]);
    const none = await list('gender=robot');
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ count: 0, page: 1, pages: 1, results: [] });
  });

  it('never returns soft-deleted contacts', async () => {
    const res = await list('first_name=zoe');
    expect(res.body.count).toBe(0);
    expect(res.body.results).toEqual([]);
  });

  const containsCases: Array<[string, string, (p: ContactInput) => boolean]> = [
    ['first_name', 'an', (p) => has(p.first_name, 'an')],
    ['last_name', 'BERG', (p) => has(p.last_name, 'berg')],
    ['phone_number', '+49 30', (p) => has(p.phone, '+49 30')],
    ['city', 'ber', (p) => has(p.address?.city, 'ber')],
    ['street', 'straße', (p) => has(p.address?.street, 'straße')],
    ['country', 'GERM', (p) => has(p.address?.country, 'germ')],
  ];
  for (const [param, value, pred] of containsCases) {
    it(`filters ${param} by case-insensitive contains`, async () => {
      const res = await list(`${param}=${encodeURIComponent(value)}&page_size=100`);
      expect(res.status).toBe(200);
      const expected = expectIds(
        live()
          .filter(({ p }) => pred(p))
          .map(({ i }) => i),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(res.body.results.map((r: any) => r.id)).toEqual(expected);
      expect(res.body.count).toBe(expected.length);
    });
  }

  it('filters gender and customer_id exactly', async () => {
    const g = await list('gender=OTHER');
    expect(g.body.results.map((r: any) => r.id)).toEqual([ids[5]]);
    const all = await list('page_size=1000');
    const cid = all.body.results.find((r: any) => r.id === ids[2]).customer_id;
    const c = await list(`customer_id=${encodeURIComponent(cid)}`);
    expect(c.body.results.map((r: any) => r.id)).toEqual([ids[2]]);
    const partial = await list(`customer_id=${encodeURIComponent(cid.slice(0, -1))}`);
    expect(partial.body.count).toBe(0);
  });

  it('filters birthday by date', async () => {
    const res = await list('birthday=1985-03-04');
    expect(res.body.results.map((r: any) => r.id)).toEqual(expectIds([0, 3]));
  });

  it('filters over relationships: points_min, points_max, last_activity_after', async () => {
    expect((await list('points_min=1000')).body.results.map((r: any) => r.id)).toEqual(expectIds([2, 3]));
    expect((await list('points_max=100')).body.results.map((r: any) => r.id)).toEqual(expectIds([0, 3]));
    expect((await list('last_activity_after=2025-05-01')).body.results.map((r: any) => r.id)).toEqual(expectIds([0, 3]));
    // One relationship must satisfy all relationship conditions: Daniel has 2000 points (old) and recent activity (50 points).
    expect((await list('points_min=1000&last_activity_after=2025-05-01')).body.results).toEqual([]);
    expect((await list('points_min=100&points_max=999')).body.results.map((r: any) => r.id)).toEqual(expectIds([0, 1, 8]));
  });

  it('combines filters with AND', async () => {
    const res = await list('first_name=an&city=ber');
    const expected = expectIds(
      live()
        .filter(({ p }) => has(p.first_name, 'an') && has(p.address?.city, 'ber'))
        .map(({ i }) => i),
    );
    expect(expected).toEqual(expectIds([0, 1, 3, 5]));
    expect(res.body.results.map((r: any) => r.id)).toEqual(expected);
    const three = await list('country=germany&gender=male&points_min=1');
    expect(three.body.results.map((r: any) => r.id)).toEqual([ids[8]]);
  });

  it('trims values and ignores empty ones', async () => {
    const res = await list(`first_name=${encodeURIComponent('  anna  ')}&city=%20%20&last_name=`);
    expect(res.body.results.map((r: any) => r.id)).toEqual(expectIds([0, 1])); // Anna, Hannah
  });

  it('ignores malformed filter values, as the seed does', async () => {
    const baseline = await list('page_size=1000');
    for (const qs of [
      'birthday=1985-13-40',
      'birthday=yesterday',
      'points_min=lots',
      'points_max=1e3',
      'last_activity_after=soon',
      'last_activity_after=2025-02-30',
    ]) {
      const res = await list(`${qs}&page_size=1000`);
      expect(res.status, qs).toBe(200);
      expect(res.body.count, qs).toBe(baseline.body.count);
    }
  });

  it('treats LIKE wildcards and quotes in values as plain text', async () => {
    expect((await list(`first_name=${encodeURIComponent('%_')}`)).body.results.map((r: any) => r.id)).toEqual([ids[9]]);
    expect((await list(`last_name=${encodeURIComponent("o'b")}`)).body.results.map((r: any) => r.id)).toEqual([ids[9]]);
    expect((await list(`first_name=${encodeURIComponent('%')}`)).body.count).toBe(1);
    expect((await list(`last_name=${encodeURIComponent("'; drop table contacts; --")}`)).body.count).toBe(0);
  });

  it('orders by every serialized field, both ways, with id as tie-breaker', async () => {
    const all = (await list('page_size=1000')).body.results as any[];
    const cmp = (key: string, desc: boolean) => (a: any, b: any) => {
      const av = a[key];
      const bv = b[key];
      // Postgres: NULLS LAST ascending, NULLS FIRST descending; text compares in the C collation.
      let r = av === bv ? 0 : av === null ? 1 : bv === null ? -1 : av < bv ? -1 : 1;
      if (r === 0) r = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return desc ? -r : r;
    };
    for (const field of ['id', 'first_name', 'last_name', 'gender', 'customer_id', 'phone_number', 'created', 'birthday', 'last_updated']) {
      for (const desc of [false, true]) {
        const res = await list(`ordering=${desc ? '-' : ''}${field}&page_size=1000`);
        expect(res.status, field).toBe(200);
        const expected = [...all].sort(cmp(field, desc)).map((r) => r.id);
        expect(
          res.body.results.map((r: any) => r.id),
          `${desc ? '-' : ''}${field}`,
        ).toEqual(expected);
      }
    }
  });

  const orderedIds = (orderBy: string) =>
    sql<{ id: string }>(`select c.id from contacts c where c.org_id = $1 and c.deleted_at is null order by ${orderBy}`, [org.id]).then((rows) =>
      rows.map((r) => r.id),
    );

  it('honours every field of a multi-field ordering, in the order SQL gives (id breaks the last ties)', async () => {
    const cases: Array<[string, string]> = [
      ['last_name,first_name', 'c.last_name, c.first_name, c.id'],
      // The 30 "Filler" rows share first_name and each gender: the tie-breaker decides among them.
      ['first_name,gender', 'c.first_name, c.gender, c.id'],
      ['gender,-created', 'c.gender, c.created_at desc, c.id desc'],
      ['-birthday,first_name', 'c.birthday desc, c.first_name, c.id'],
      ['-gender,last_updated,-phone_number', 'c.gender desc, c.updated_at, c.phone desc, c.id desc'],
      ['customer_id,-id', 'c.customer_id, c.id desc'],
    ];
    for (const [ordering, orderBy] of cases) {
      const expected = await orderedIds(orderBy);
      expect(expected).toHaveLength(live().length);
      const res = await list(`ordering=${encodeURIComponent(ordering)}&page_size=1000`);
      expect(res.status, ordering).toBe(200);
      expect(
        res.body.results.map((r: any) => r.id),
        ordering,
      ).toEqual(expected);
      // A page of it is the same slice.
      const page2 = await list(`ordering=${encodeURIComponent(ordering)}&page_size=7&page=2`);
      expect(
        page2.body.results.map((r: any) => r.id),
        `${ordering} page 2`,
      ).toEqual(expected.slice(7, 14));
    }
  });

  it('ignores unknown ordering fields (DRF), falling back to -created when none is left', async () => {
    const byDefault = (await list('page_size=1000')).body.results.map((r: any) => r.id);
    expect(byDefault).toEqual(await orderedIds('c.created_at desc, c.id desc'));
    for (const ordering of ['-password', 'city', 'address__city', '--created', '']) {
      const res = await list(`ordering=${encodeURIComponent(ordering)}&page_size=1000`);
      expect(res.status, ordering).toBe(200);
      expect(
        res.body.results.map((r: any) => r.id),
        ordering,
      ).toEqual(byDefault);
    }
    const mixed = await list('ordering=city,-nope,last_name&page_size=1000');
    expect(mixed.body.results.map((r: any) => r.id)).toEqual(await orderedIds('c.last_name, c.id'));
  });

  it('paginates: count, pages, page contents and the last page', async () => {
    const total = live().length; // 39
    const p1 = await list('page_size=10');
    expect(p1.body).toMatchObject({ count: total, page: 1, pages: Math.ceil(total / 10) });
    expect(p1.body.results).toHaveLength(10);
    const p4 = await list('page_size=10&page=4');
    expect(p4.body.results).toHaveLength(total - 30);
    const last = await list('page_size=10&page=last');
    expect(last.body.page).toBe(4);
    expect(last.body.results.map((r: any) => r.id)).toEqual(p4.body.results.map((r: any) => r.id));
    const seen = new Set<string>();
    for (let page = 1; page <= 4; page++) {
      for (const r of (await list(`page_size=10&page=${page}`)).body.results) seen.add(r.id);
    }
    expect(seen.size).toBe(total);
  });

  it('page=last is the real last page when the count is only an estimate', async () => {
    // Above COUNT_EXACT_LIMIT (5 here) the count is the planner's guess, which can overshoot the
    // rows (page=last was then a 404) or fall short of them.
    const db = createDb(env as never, () => {});
    try {
      const auth = { orgId: org.id, userId: org.users.admin.id, role: 'admin' as const };
      const res = await listAppUsers({ db, auth, query: parseAppUsersQuery({ page_size: '10', page: 'last' }), countLimit: 5 });
      expect(res.count).toEqual({ value: live().length, method: 'exact' });
      expect(res.page).toBe(4);
      expect(res.results).toHaveLength(live().length - 30);
    } finally {
      await db.close();
    }
  });

  it('matches the README example: first_name=an&city=ber&ordering=-created&page=2&page_size=2', async () => {
    const res = await list('first_name=an&city=ber&ordering=-created&page=2&page_size=2');
    expect(res.body).toMatchObject({ count: 4, page: 2, pages: 2 });
    expect(res.body.results.map((r: any) => r.id)).toEqual([ids[1], ids[0]]);
  });

  it('answers 404 "Invalid page." for a page that is 0, not an integer, or past the end (DRF)', async () => {
    for (const bad of ['0', 'abc', '-1', '1.5', 'LAST', '99999999999']) {
      const res = await list(`page=${bad}`);
      expect(res.status, bad).toBe(404);
      expect(res.headers.get('content-type'), bad).toContain('application/problem+json');
      expect(res.body, bad).toMatchObject({ detail: 'Invalid page.', code: 'not_found' });
    }
    const past = await list('page_size=10&page=5');
    expect(past.status).toBe(404);
    expect(past.body.detail).toBe('Invalid page.');
    const empty = await list('first_name=nobody-has-this&page=2');
    expect(empty.status).toBe(404);
    expect(empty.body.detail).toBe('Invalid page.');
    // An empty result still has its page 1, as Django's paginator allows an empty first page.
    expect((await list('first_name=nobody-has-this')).body).toMatchObject({ count: 0, page: 1, pages: 1, results: [] });
    expect((await list('page=')).body.page).toBe(1);
  });

  it('caps page_size at 1000 and falls back to the default for malformed values', async () => {
    expect((await list('page_size=5000')).body.pages).toBe(1);
    expect((await list('page_size=abc')).body.results).toHaveLength(20);
    expect((await list('page_size=0')).body.results).toHaveLength(20);
    expect((await list('')).body.results).toHaveLength(20);
  });

  it('pages by offset up to 100,000 rows, and past that points to cursor paging on /v1/contacts', async () => {
    // The seeded demo org has about 300k contacts: pages that deep exist.
    const demo = await demoAdmin();
    const deepest = await get('/api/v1/appusers/?page=5001&page_size=20', { token: demo.token });
    expect(deepest.status).toBe(200);
    expect(deepest.body.results).toHaveLength(20);
    const tooDeep = await get('/api/v1/appusers/?page=6000&page_size=20', { token: demo.token });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.code).toBe('invalid_query');
    expect(tooDeep.body.detail).toMatch(/cursor on GET \/v1\/contacts/);
    // /v1 keeps its own, smaller bound.
    const v1 = await get('/v1/contacts?offset=10001', { token: demo.token });
    expect(v1.status).toBe(400);
    expect(v1.body.detail).toMatch(/offset is limited to 10000/);
  });

  it('/v1/contacts embeds the relationships too, newest first', async () => {
    const res = await get(`/v1/contacts?id=eq.${ids[3]}&select=id,relationships(points,created_at)`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      {
        id: ids[3],
        relationships: [
          { points: 50, created_at: '2024-01-01T00:00:00.000000Z' },
          { points: 1200, created_at: '2023-06-01T00:00:00.000000Z' },
          { points: 2000, created_at: '2022-01-01T00:00:00.000000Z' },
        ],
      },
    ]);
  });

  it("never shows another org's rows", async () => {
    const mine = await list('page_size=1000');
    const theirs = await get('/api/v1/appusers/?page_size=1000', { token: await tokenFor(other.users.admin) });
    expect(theirs.body.count).toBe(6);
    const mineIds = new Set(mine.body.results.map((r: any) => r.id));
    for (const r of theirs.body.results) expect(mineIds.has(r.id)).toBe(false);
    // Filters that match org A's rows still return only org B's.
    const filtered = await get('/api/v1/appusers/?city=berlin', { token: await tokenFor(other.users.member) });
    expect(filtered.body.results.every((r: any) => !mineIds.has(r.id))).toBe(true);
  });
});
