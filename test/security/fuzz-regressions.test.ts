import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/core/errors';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { LEAK } from '../support/fuzz-property';
import { deepJson } from '../support/fuzz-values';
import { tokenFor } from '../support/http';

// Inputs the route fuzzer (fuzz.test.ts) found, shrunk, one `it` per class, as plain requests:
// each must be answered below 500 with problem+json and a code of the closed list.

let org: TestOrg;
let token: string;

async function send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; auth?: string | null } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  const auth = init.auth === undefined ? `Bearer ${token}` : init.auth;
  if (auth !== null) headers.Authorization = auth;
  const res = await SELF.fetch(`http://localhost${path}`, { method, headers, body: init.body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The fuzzer's property for one answer: below 500; an error is problem+json with a code of the closed list; no SQL text. */
async function expectRefusedCleanly(method: string, path: string, init: Parameters<typeof send>[2] = {}) {
  const res = await send(method, path, init);
  const where = `${method} ${path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.type, where).toContain('application/problem+json');
    if (method !== 'HEAD') {
      const code = JSON.parse(res.text).code;
      expect(Object.keys(ERROR_STATUS), where).toContain(code);
      expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS], where).toBe(res.status);
    }
  }
  expect(res.text, where).not.toMatch(LEAK);
  return res;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('fuzzer regressions', () => {
  beforeAll(async () => {
    org = await createOrg();
    await createContacts(org.id, [{ first_name: 'Anna', last_name: 'Zeta' }]);
    token = await tokenFor(org.users.member);
  });

  it('a JSON query body in another media type (or none) is a 415, not a 500', async () => {
    for (const type of ['text/plain', 'text/csv', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', ';;;']) {
      await expectRefusedCleanly('POST', '/v1/contacts/query', { body: '{}', headers: { 'Content-Type': type } });
    }
    // fetch labels a string body without a type text/plain;charset=UTF-8.
    await expectRefusedCleanly('POST', '/v1/contacts/query', { body: '{}' });
  });

  it('a query body nested 10,000 levels deep is a 400, not a stack overflow', async () => {
    for (const shape of ['not', 'and'] as const) {
      await expectRefusedCleanly('POST', '/v1/contacts/query', { body: deepJson(10_000, shape), headers: JSON_TYPE });
    }
  });

  it("a filter named after an Object.prototype property is an unknown field, not a lookup of the prototype's", async () => {
    for (const name of ['constructor', '__defineSetter__', 'toString', 'hasOwnProperty', '__proto__']) {
      await expectRefusedCleanly('GET', `/v1/contacts?${encodeURIComponent(name)}=eq.x`);
    }
  });

  it('a tsquery Postgres refuses (bad syntax, a phrase distance past 16384) in fts or fts(config) is a 400, not a 500', async () => {
    // fts is to_tsquery: the client's text is tsquery syntax, and Postgres refuses bad syntax (42601).
    // A phrase distance past 16384 (`a <999999> b`) is refused by Postgres too (22023).
    for (const value of ['!', '-a -b', '" "', 'or *', 'a & | b', '(a', "'", 'a <999999> b']) {
      const v = encodeURIComponent(value);
      await expectRefusedCleanly('GET', `/v1/contacts?search=fts.${v}`);
      await expectRefusedCleanly('GET', `/v1/activities?search=fts(english).${v}`);
      await expectRefusedCleanly('GET', `/rest/v1/contacts?search=not.fts.${v}`);
    }
  });

  it('a timestamp whose offset Postgres cannot hold (+16:00, +99:99, +9999) is a 400, not a 500', async () => {
    for (const value of ['2024-01-01T00:00:00+16:00', '2024-01-01T00:00:00-16:00', '2024-01-01T00:00:00+99:99', '2024-01-01T00:00:00+9999']) {
      const v = encodeURIComponent(value);
      await expectRefusedCleanly('GET', `/v1/contacts?created_at=lt.${v}`);
      await expectRefusedCleanly('GET', `/v1/pipelines?updated_at=gte(all).%7B${v}%7D`);
      await expectRefusedCleanly('GET', `/rest/v1/contacts?created_at=gt.${v}`);
      await expectRefusedCleanly('GET', `/api/v1/appusers/?last_activity_after=${v}`);
      await expectRefusedCleanly('POST', '/v1/contacts/query', {
        body: JSON.stringify({ where: { field: 'created_at', operator: 'lessThan', value } }),
        headers: JSON_TYPE,
      });
    }
  });

  it('a like/ilike pattern that ends in a backslash is a 400 (or matches literally), not a 500', async () => {
    await expectRefusedCleanly('GET', '/v1/contacts?first_name=ilike.*%5C');
    await expectRefusedCleanly('GET', '/rest/v1/contacts?last_name=like.Zeta%5C');
    await expectRefusedCleanly('GET', '/v1/leads?email=ilike(any).%7B%25_%2C%22*%5C%5C%22%7D');
    await expectRefusedCleanly('GET', `/v1/contacts?or=${encodeURIComponent('(first_name.ilike.a\\,last_name.eq.x)')}`);
  });
});
