import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg } from '../support/factories';
import { tokenFor } from '../support/http';

// The edges of HTTP (issue 21): media types, JSON depth, methods, URL and header sizes.
// Every answer is a problem+json with a stable code, never a 500 or a bare text page.
let token: string;

beforeAll(async () => {
  token = await tokenFor((await createOrg()).users.admin);
});

interface Sent {
  status: number;
  type: string;
  allow: string | null;
  body: any;
}

async function send(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string>; auth?: boolean } = {}): Promise<Sent> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth !== false) headers.Authorization = `Bearer ${token}`;
  const res = await SELF.fetch(`http://localhost${path}`, { method, headers, body: init.body });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text, and the assertions on `code` say so
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', allow: res.headers.get('allow'), body };
}

const postQuery = (body: string, contentType?: string) =>
  send('POST', '/v1/contacts/query', { body, headers: contentType === undefined ? {} : { 'Content-Type': contentType } });

function expectProblem(res: Sent, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
  expect(res.type).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
}

describe('POST /v1/{resource}/query media types', () => {
  it.each([
    ['text/plain', '{"limit":1}'],
    ['text/plain;charset=UTF-8', '{"limit":1}'],
    ['application/x-www-form-urlencoded', 'limit=1'],
    ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="limit"\r\n\r\n1\r\n--xyz--\r\n'],
    ['application/xml', '<query><limit>1</limit></query>'],
    ['application/jsonp', '{"limit":1}'],
  ])('%s → 415 unsupported_media_type', async (type, body) => {
    const res = await postQuery(body, type);
    expectProblem(res, 415, 'unsupported_media_type');
    expect(res.body.title).toBe('Unsupported media type');
    expect(res.body.detail).toContain('application/json');
  });

  it('no Content-Type → 415, with a body or without', async () => {
    // A string body would get text/plain from fetch; bytes get no Content-Type at all.
    const withBody = await send('POST', '/v1/contacts/query', { body: new TextEncoder().encode('{"limit":1}') });
    expectProblem(withBody, 415, 'unsupported_media_type');
    expectProblem(await send('POST', '/v1/contacts/query'), 415, 'unsupported_media_type');
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', 'application/vnd.api+json'])(
    '%s is accepted',
    async (type) => {
      const res = await postQuery('{"limit":1}', type);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.page.limit).toBe(1);
    },
  );

  it.each([
    ['malformed JSON', '{"limit":'],
    ['an empty body', ''],
    ['a bare string', '"where"'],
    ['trailing garbage', '{"limit":1} x'],
  ])('%s → 400 invalid_body', async (_, body) => {
    expectProblem(await postQuery(body, 'application/json'), 400, 'invalid_body');
  });

  it('the media type is checked after the token: no token → 401, whatever the type', async () => {
    const res = await send('POST', '/v1/contacts/query', { body: 'x', headers: { 'Content-Type': 'text/plain' }, auth: false });
    expectProblem(res, 401, 'unauthorized');
  });
});

describe('JSON nesting depth', () => {
  const nested = {
    arrays: (n: number) => `{"where":${'['.repeat(n)}${']'.repeat(n)}}`,
    'objects (not)': (n: number) => `{"where":${'{"not":'.repeat(n)}{"field":"first_name","operator":"equals","value":"a"}${'}'.repeat(n)}}`,
    'objects (and)': (n: number) => `{"where":${'{"and":['.repeat(n)}{"field":"first_name","operator":"equals","value":"a"}${']}'.repeat(n)}}`,
    'a top-level array': (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`,
    'an unknown key': (n: number) => `{"x":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
  };

  for (const [shape, make] of Object.entries(nested)) {
    it.each([1_000, 10_000])(`${shape} nested %i deep → 400 invalid_body naming the limit`, async (n) => {
      const res = await postQuery(make(n), 'application/json');
      expectProblem(res, 400, 'invalid_body');
      expect(res.body.detail).toMatch(/deeper than 32 levels/);
    });
  }

  it('an unterminated deep body is refused the same way', async () => {
    const res = await postQuery(`{"where":${'{"not":'.repeat(5_000)}`, 'application/json');
    expectProblem(res, 400, 'invalid_body');
  });

  it('brackets inside strings, escaped quotes included, are not nesting', async () => {
    const value = `\\"${'['.repeat(60)}\\\\${'{'.repeat(60)}`;
    const res = await postQuery(`{"where":{"field":"first_name","operator":"equals","value":"${value}"}}`, 'application/json');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  it('the deepest body the dialect allows still passes', async () => {
    const cond = '{"field":"first_name","operator":"in","value":["a","b"]}';
    const res = await postQuery(`{"where":{"and":[{"or":[{"and":[${cond},${cond}]}]},{"not":${cond}}]}}`, 'application/json');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('methods', () => {
  it.each([
    ['DELETE', '/v1/contacts', 'GET, HEAD, OPTIONS, POST'],
    ['PUT', '/v1/contacts', 'GET, HEAD, OPTIONS, POST'],
    ['PUT', '/v1/contacts/00000000-0000-4000-8000-000000000000', 'DELETE, GET, HEAD, OPTIONS, PATCH'],
    ['PATCH', '/v1/contacts/00000000-0000-4000-8000-000000000000/restore', 'OPTIONS, POST'],
    // GET /v1/contacts/batch is served: it is GET /v1/contacts/{id} with id "batch" (a 400).
    ['PUT', '/v1/contacts/batch', 'DELETE, GET, HEAD, OPTIONS, PATCH, POST'],
    ['DELETE', '/v1/audit', 'GET, HEAD, OPTIONS'],
    ['POST', '/rest/v1/contacts', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/api/v1/appusers/', 'GET, HEAD, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    ['PUT', '/openapi.json', 'GET, HEAD, OPTIONS'],
  ])('%s %s → 405 method_not_allowed, Allow: %s', async (method, path, allow) => {
    const res = await send(method, path, { body: method === 'GET' ? undefined : '{}', headers: { 'Content-Type': 'application/json' } });
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.allow).toBe(allow);
    expect(res.body.detail).toContain(method);
  });

  it('a 405 on /rest/v1 carries PostgREST’s message like every problem there', async () => {
    const res = await send('DELETE', '/rest/v1/contacts');
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.body.message).toBe(res.body.detail);
  });

  it('an unknown path stays 404 whatever the method', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await send(method, '/v1/contacts/a/b/c');
      expectProblem(res, 404, 'not_found');
      expect(res.allow).toBeNull();
    }
  });

  it('HEAD is served wherever GET is, and OPTIONS is answered by CORS', async () => {
    expect((await send('HEAD', '/healthz')).status).toBe(200);
    expect((await send('HEAD', '/v1/contacts', { auth: false })).status).toBe(401);
    expect(
      (await send('OPTIONS', '/v1/contacts/query', { headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } })).status,
    ).toBe(204);
  });
});

describe('sizes of the URL and the headers', () => {
  it('a URL over 16 KB → 414 uri_too_long', async () => {
    const res = await send('GET', `/v1/contacts?first_name=ilike.${'a'.repeat(17 * 1024)}`);
    expectProblem(res, 414, 'uri_too_long');
  });

  it('a URL over 64 KB reaches the Worker through fetch and gets the same 414', async () => {
    const res = await send('GET', `/v1/contacts?q=${'a'.repeat(70 * 1024)}`);
    expectProblem(res, 414, 'uri_too_long');
  });

  it('request headers over 32 KB in total → 431 request_header_fields_too_large', async () => {
    const res = await send('GET', '/empty', { headers: { 'X-Padding': 'a'.repeat(33 * 1024) } });
    expectProblem(res, 431, 'request_header_fields_too_large');
    expect(res.body.detail).toContain('32768');
    const many: Record<string, string> = {};
    for (let i = 0; i < 40; i++) many[`X-Pad-${i}`] = 'b'.repeat(1024);
    expectProblem(await send('GET', '/empty', { headers: many }), 431, 'request_header_fields_too_large');
  });

  it('headers under the bound pass', async () => {
    const res = await send('GET', '/empty', { headers: { 'X-Padding': 'a'.repeat(24 * 1024) } });
    expect(res.status).toBe(200);
  });

  it('a long query-string value is a 400 invalid_query naming the parameter, not a 413', async () => {
    const res = await send('GET', `/v1/contacts?first_name=ilike.${'a'.repeat(2_100)}`);
    expectProblem(res, 400, 'invalid_query');
    expect(res.body.errors).toEqual([{ path: 'first_name', message: 'at most 2000 characters' }]);
    expect(res.body.detail).toContain('first_name');
  });
});
