import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/core/errors';
import { opsOf } from '../../src/query/resource';
import { CATALOG } from '../../src/resources/registry';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { NAUGHTY } from '../support/naughty';

// Issue 21, "no input breaks it": no name or value a client sends makes the query layer answer
// 500. Values Postgres would reject are refused before SQL where JS can tell (timestamps whose
// offset Postgres cannot hold, LIKE patterns ending in an escape, NUL characters), and mapped
// from their SQLSTATE where only Postgres can (to_tsquery's syntax): a 400 that names the
// parameter, as problem+json, with no SQL in it. The appusers mount ignores such values, as its
// contract says of malformed filter values.

/** What an answer must never carry: statement text, placeholders, casts, Postgres' own messages. */
const SQL_TEXT = /\bselect\b[^"]*\bfrom\b|\$\d+\b|::[a-z]|crm_org|regconfig|to_tsquery|syntax error|must not end with|displacement|sqlstate|\bat character\b/i;

type Answer = Awaited<ReturnType<typeof get>>;

function expectRefused(res: Answer, code: ErrorCode, path: string) {
  expect({ status: res.status, code: res.body?.code, path: res.body?.errors?.[0]?.path }).toEqual({ status: 400, code, path });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(JSON.stringify(res.body)).not.toMatch(SQL_TEXT);
}

describe('hostile names and values', () => {
  let org: TestOrg;
  let token: string;
  let ids: string[];

  beforeAll(async () => {
    org = await createOrg();
    ids = await createContacts(org.id, [
      {
        first_name: 'Anna',
        last_name: 'Berg',
        birthday: '1985-03-04',
        address: { city: 'Berlin', country: 'Germany' },
        relationships: [{ points: 100, created_at: '2024-01-01T00:00:00Z', last_activity_at: '2025-06-01T00:00:00Z' }],
      },
      {
        first_name: 'Back',
        last_name: 'Slash\\Name',
        birthday: '0050-06-15',
        address: { city: 'Bern', country: 'Switzerland' },
        relationships: [{ points: 500, created_at: '2024-02-01T00:00:00Z', last_activity_at: '2024-03-01T00:00:00Z' }],
      },
      { first_name: 'John', last_name: 'Doe', birthday: null, address: null, created_at: '2024-01-01T12:00:00Z' },
    ]);
    token = await tokenFor(org.users.member);
  });

  const v1 = (qs: string) => get(`/v1/contacts?${qs}`, { token });
  const idsOf = (res: Answer) => (res.body.data as Array<{ id: string }>).map((r) => r.id).sort();
  const post = async (body: unknown): Promise<Answer> => {
    const res = await SELF.fetch('http://localhost/v1/contacts/query', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };

  describe('names every JavaScript object has', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('GET /v1/contacts?%s=eq.1 → 400 unknown_field', async (name) => {
      expectRefused(await v1(`${name}=eq.1`), 'unknown_field', name);
      expectRefused(await v1(`${name}=ilike.*a*&first_name=eq.Anna`), 'unknown_field', name);
      expectRefused(await v1(`or=(first_name.eq.Anna,${name}.eq.1)`), 'unknown_field', 'where.or[1]');
      expectRefused(await v1(`order=${name}.desc`), 'unknown_field', 'order[0]');
      expectRefused(await v1(`select=id,first_name,company(${name})`), 'unknown_field', 'select.company[0]');
      expectRefused(await v1(`first_name=${name}.1`), 'unsupported_operator', 'first_name');
      expectRefused(await get(`/v1/leads?${name}=eq.1`, { token }), 'unknown_field', name);
      expectRefused(await get(`/rest/v1/contacts?${name}=eq.1`, { token }), 'unknown_field', name);
    });

    it('in a JSON body: a field, a nested field and an order field', async () => {
      expectRefused(await post({ where: { field: 'constructor', operator: 'equals', value: '1' } }), 'unknown_field', 'constructor');
      expectRefused(
        await post({ where: { or: [{ field: 'first_name', operator: 'equals', value: 'Anna' }, { not: { field: '__proto__', operator: 'isEmpty' } }] } }),
        'unknown_field',
        'where.or[1]',
      );
      expectRefused(await post({ orderBy: [{ field: 'toString', direction: 'desc' }] }), 'unknown_field', 'order[0]');
    });

    it('as a /rest/v1 table or media type: 404 and 406, as problem+json', async () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
        const table = await get(`/rest/v1/${name}`, { token });
        expect({ status: table.status, code: table.body.code }).toEqual({ status: 404, code: 'not_found' });
        const media = await get('/rest/v1/contacts', { token, headers: { Accept: name } });
        expect({ status: media.status, code: media.body.code }).toEqual({ status: 406, code: 'not_acceptable' });
        expect(media.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    });
  });

  describe('values Postgres rejects: 400 naming the parameter', () => {
    const refused: Array<[string, ErrorCode, string]> = [
      // to_tsquery's syntax is Postgres' to judge: mapped from SQLSTATE 42601 / 22023.
      ['search=fts.(', 'invalid_query', 'search'],
      ['search=fts.anna %26', 'invalid_query', 'search'],
      ['search=fts(english).!', 'invalid_query', 'search'],
      [`search=fts.${encodeURIComponent('anna <99999> berg')}`, 'invalid_query', 'search'],
      ['first_name=eq.Anna&search=not.fts.)', 'invalid_query', 'search'],
      // A LIKE pattern ending in its escape character (22025).
      ['last_name=like.*%5C', 'invalid_query', 'last_name'],
      ['last_name=ilike.%5C', 'invalid_query', 'last_name'],
      ['last_name=like.Slash%5C%5C%5C', 'invalid_query', 'last_name'],
      ['or=(first_name.eq.Anna,last_name.ilike.*%5C)', 'invalid_query', 'where.or[1]'],
      ['last_name=ilike(any).{a*,b%5C}', 'invalid_query', 'where.or[1]'],
      // Time zone offsets beyond ±15:59 (22009), minutes past 59.
      ['created_at=gte.2024-01-01T00:00:00%2B16:00', 'invalid_query', 'created_at'],
      ['created_at=lt.2024-01-01T00:00:00-16:00', 'invalid_query', 'created_at'],
      ['created_at=gte.2024-01-01T00:00%2B1600', 'invalid_query', 'created_at'],
      ['created_at=gte.2024-01-01T00:00:00%2B15:60', 'invalid_query', 'created_at'],
      ['created_at=gte.2024-01-01 00:00:00%2B99', 'invalid_query', 'created_at'],
      ['created_at=in.(2024-01-01T00:00:00Z,2024-01-01T00:00:00-23:00)', 'invalid_query', 'created_at[1]'],
      ['first_name=eq.Anna&updated_at=not.eq.2024-01-01T00:00:00%2B24', 'invalid_query', 'updated_at'],
      // Impossible dates and years Postgres has no room for.
      ['birthday=eq.2024-02-30', 'invalid_query', 'birthday'],
      ['birthday=gte.0000-01-01', 'invalid_query', 'birthday'],
      ['birthday=lt.10000-01-01', 'invalid_query', 'birthday'],
      // NUL: text in Postgres cannot hold it (22021).
      ['first_name=eq.a%00b', 'invalid_query', 'first_name'],
      ['first_name=ilike.*%00*', 'invalid_query', 'first_name'],
      ['first_name=in.(Anna,%00)', 'invalid_query', 'first_name[1]'],
      ['tags=cs.{vip,a%00b}', 'invalid_query', 'tags'],
      ['search=wfts.anna%00', 'invalid_query', 'search'],
    ];
    it.each(refused)('GET /v1/contacts?%s → 400 %s at %s', async (qs, code, path) => {
      expectRefused(await v1(qs), code, path);
    });

    it.each(refused.slice(0, 12))('GET /rest/v1/contacts?%s → 400 %s at %s, with PostgREST message', async (qs, code, path) => {
      const res = await get(`/rest/v1/contacts?${qs}`, { token });
      expectRefused(res, code, path);
      expect(res.body.message).toBe(res.body.detail);
    });

    it('numbers out of range on deals and companies', async () => {
      expectRefused(await get('/v1/deals?probability=gt.2147483648', { token }), 'invalid_query', 'probability');
      expectRefused(await get('/v1/deals?probability=eq.1.5', { token }), 'invalid_query', 'probability');
      expectRefused(await get('/v1/deals?value=gt.1e400', { token }), 'invalid_query', 'value');
      expectRefused(await get('/v1/companies?annual_revenue=lt.-99999999999999999999', { token }), 'invalid_query', 'annual_revenue');
    });

    it('in a JSON body', async () => {
      expectRefused(await post({ where: { field: 'created_at', operator: 'greaterThan', value: '2024-01-01T00:00:00+16:00' } }), 'invalid_query', 'created_at');
      expectRefused(await post({ where: { and: [{ field: 'first_name', operator: 'equals', value: 'a\u0000b' }] } }), 'invalid_query', 'where.and[0]');
      expectRefused(await post({ where: { field: 'birthday', operator: 'between', value: ['2024-01-01', '2024-02-30'] } }), 'invalid_query', 'where.and[1]');
      expectRefused(await post({ where: { field: 'search', operator: 'search', value: 'anna\u0000' } }), 'invalid_query', 'search');
    });

    it('accepts the edge values Postgres accepts', async () => {
      const ok = async (qs: string) => {
        const res = await v1(qs);
        expect({ qs, status: res.status }).toEqual({ qs, status: 200 });
        return idsOf(res);
      };
      expect(await ok('created_at=gte.2024-01-01T00:00:00%2B15:59&created_at=lt.2024-01-02T00:00:00-15:59')).toEqual([ids[2]]);
      expect(await ok('last_name=like.*%5C%5C*')).toEqual([ids[1]]);
      expect(await ok('last_name=like.Slash%5C%5CName')).toEqual([ids[1]]);
      expect(await ok('birthday=eq.0050-06-15')).toEqual([ids[1]]);
      expect(await ok('search=fts.anna %26 berg')).toEqual([ids[0]]);
      const literal = await post({ where: { field: 'last_name', operator: 'endsWith', value: '\\Name' } });
      expect(literal.status).toBe(200);
      expect(idsOf(literal)).toEqual([ids[1]]);
    });
  });

  describe('appusers ignores malformed filter values, as its contract says', () => {
    const appusers = (qs: string) => get(`/api/v1/appusers/?${qs}`, { token });
    const userIds = (res: Answer) => (res.body.results as Array<{ id: string }>).map((r) => r.id).sort();

    it.each([
      'birthday=2024-02-30',
      'birthday=0000-01-01',
      'birthday=2024-1-32',
      'last_activity_after=2024-01-01T00:00:00%2B16:00',
      'last_activity_after=2024-01-01T00:00:00-16:00',
      'last_activity_after=2024-01-01T00:00%2B1600',
      'last_activity_after=2024-01-01T00:00:00%2B15:60',
      'last_activity_after=2024-02-30T00:00:00Z',
      'last_activity_after=2024-01-01T25:00:00Z',
      'last_activity_after=0000-01-01',
      'first_name=a%00b',
      'last_name=%00',
      'phone_number=1%00',
      'city=Ber%00',
      'street=%00x',
      'country=%00',
      'customer_id=C%00',
      'points_min=1e3',
      'points_max=%00',
    ])('%s → 200, as if not given', async (qs) => {
      const res = await appusers(qs);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(3);
      expect(userIds(res)).toEqual([...ids].sort());
    });

    it('still applies a well-formed value at the edge of the range', async () => {
      const res = await appusers('last_activity_after=2025-06-01T15:00:00%2B15:59');
      expect(res.status).toBe(200);
      expect(userIds(res)).toEqual([ids[0]]);
      const born = await appusers('birthday=0050-06-15');
      expect(userIds(born)).toEqual([ids[1]]);
    });
  });

  const KINDS: readonly string[] = ['eq', 'gt', 'like', 'ilike', 'in', 'is', 'fts', 'plfts', 'phfts', 'wfts', 'cs', 'ov'];

  it('no value of any field type, under any of its operators, is answered with a 5xx', async () => {
    const values = [
      ...NAUGHTY.filter((v) => v.length < 100),
      '(',
      ')',
      '&',
      '|',
      '!',
      ':*',
      'a & (',
      'a <99999> b',
      'a <-> <-> b',
      'a:Z',
      '\\',
      'a\\',
      '*\\',
      '%\\',
      '2024-01-01T00:00:00+16:00',
      '2024-01-01T00:00:00-99:99',
      '2024-01-01T00:00:00.1234567Z',
      '2024-02-30',
      '0000-01-01',
      '99999-01-01',
      '1e400',
      '-2147483649',
      '123456789012345678901234567890',
      'NaN',
      'Infinity',
      '-0',
      '.5',
      '1.',
      '\ud800',
    ];
    const fields: Array<[string, string]> = [
      ['contacts', 'id'],
      ['contacts', 'first_name'],
      ['contacts', 'gender'],
      ['contacts', 'birthday'],
      ['contacts', 'created_at'],
      ['contacts', 'search'],
      ['contacts', 'tags'],
      ['deals', 'value'],
      ['deals', 'probability'],
      ['users', 'is_active'],
    ];
    const requests: string[] = [];
    for (const [resource, name] of fields) {
      const def = CATALOG[resource].fields[name];
      // One operator of each kind the query string has (`gte` compiles as `gt` does, and so on).
      const ops = (def ? opsOf(def) : ['cs', 'ov', 'eq']).filter((op) => KINDS.includes(op));
      for (const op of ops) {
        for (const v of values) {
          const value = op === 'in' ? `(${v})` : op === 'cs' || op === 'ov' ? `{${v}}` : v;
          requests.push(`/v1/${resource}?${new URLSearchParams([[name, `${op}.${value}`]])}`);
        }
      }
    }
    for (const mode of ['auto', 'fts', 'trigram', 'fuzzy', 'prefix']) {
      for (const v of values)
        requests.push(
          `/v1/contacts?${new URLSearchParams([
            ['q', v],
            ['search_mode', mode],
          ])}`,
        );
    }
    const broken: string[] = [];
    for (let i = 0; i < requests.length; i += 8) {
      await Promise.all(
        requests.slice(i, i + 8).map(async (path) => {
          const res = await get(path, { token });
          const leaks = res.status >= 400 && SQL_TEXT.test(JSON.stringify(res.body));
          if (res.status >= 500 || leaks) broken.push(`${res.status} ${path}${leaks ? ' (SQL in the answer)' : ''}`);
        }),
      );
    }
    expect(requests.length).toBeGreaterThan(1000);
    expect(broken).toEqual([]);
  }, 240_000);
});
