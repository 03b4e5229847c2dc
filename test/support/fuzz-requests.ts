// The route fuzzer's requests (test/security/fuzz.test.ts): which route, method, path, query
// string, headers and body, built from the OpenAPI document's routes and the pieces of
// fuzz-values.ts, fuzz-params.ts and fuzz-body.ts.
import fc from 'fast-check';
import { RESOURCES } from '../../src/resources/registry';
import { queryBody } from './fuzz-body';
import { appUsersPair, type DocRoute, dialectPair, type FuzzContext, typedFilter } from './fuzz-params';
import { BUILTIN_NAMES, encodeAny, hostileValue, RAW_QUERY_JUNK } from './fuzz-values';

export interface FuzzRequest {
  method: string;
  /** The OpenAPI path the request was built from (before near-miss changes). */
  route: string;
  /** Percent-encoded path. */
  path: string;
  query: Array<[string, string]>;
  /** Appended to the encoded query string as it is (broken escapes, raw bytes). */
  rawQuery: string;
  headers: Record<string, string>;
  body?: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Other methods workerd's fetch still sends (it refuses unknown tokens such as FOO client-side). */
const JUNK_METHODS = ['PROPFIND', 'PURGE', 'QUERY', 'COPY', 'MOVE', 'LOCK', 'REPORT', 'SEARCH', 'MKCOL', 'post', 'Patch'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=nope',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'text/plain',
  'text/csv',
  'application/octet-stream',
  'application/xml',
  ';;;',
  'json',
  '',
];
const ACCEPTS = [
  'application/json',
  'application/vnd.pgrst.object+json',
  'application/vnd.pgrst.object',
  'text/csv',
  '*/*',
  'application/*',
  'text/html',
  'application/json;q=0',
  'text/csv;q=0.5, application/json;q=abc',
  'application/vnd.pgrst.plan+json',
  'application/openapi+json',
  ';',
  ',,,',
  'q=1',
];
const PREFERS = [
  'count=exact',
  'count=planned',
  'count=estimated',
  'count=exact, count=planned',
  'count=nope',
  'return=representation',
  'handling=strict, count=exact',
  'tx=rollback',
  'max-affected=1',
  'count=exact;count=estimated',
  ';count=exact',
];
const RANGES = [
  '0-9',
  'items=0-9',
  '0-',
  '5-2',
  '0-0',
  '999999999-999999999',
  '10000-10999',
  '-5',
  'bytes=0-1',
  '0-9999999999',
  'a-b',
  ' 1 - 2 ',
  '0-9,10-19',
  '',
];

const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

/** The same path with a small mistake: what a client mistypes and a scanner tries. */
function nearMiss(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 40, arbitrary: fc.constant(path) },
    fc.constant(path.endsWith('/') ? path.slice(0, -1) : `${path}/`),
    fc.constant(path.replace('/', '//')),
    fc.constant(path.toUpperCase()),
    fc.constant(`${path}/x`),
    fc.constant(`${path}/..`),
    fc.constant(`${path}%2F`),
    fc.constant(`${path}%00`),
    fc.constantFrom(...BUILTIN_NAMES).map((b) => path.replace(/[^/]+\/?$/, encodeAny(b))),
    fc.constantFrom(...BUILTIN_NAMES).map((b) => `${path.replace(/\/$/, '')}/${encodeAny(b)}`),
  );
}

/** The path parameters of a route: real values, near misses and hostile strings. */
function concretePath(route: DocRoute, ctx: FuzzContext): fc.Arbitrary<{ path: string; resource: string | undefined }> {
  const resources = Object.keys(RESOURCES);
  const table = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...resources) },
    { weight: 6, arbitrary: fc.constantFrom('contacts', 'users') },
    { weight: 1, arbitrary: fc.constantFrom('addresses', 'stages', 'customer_relationships', 'orgs', 'audit_log', 'Contacts', 'contacts ', 'pg_user') },
    { weight: 2, arbitrary: fc.constantFrom(...BUILTIN_NAMES) },
    { weight: 1, arbitrary: hostileValue() },
  );
  const id = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ctx.ids) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 3, arbitrary: hostileValue() });
  return fc.tuple(table, id).map(([t, i]) => {
    const m = /^\/v1\/([^/]+)/.exec(route.path);
    const resource = route.path.includes('{table}') ? t : m?.[1];
    const path = route.path.replace('{table}', encodeAny(t)).replace('{id}', encodeAny(i) || '%20');
    return { path, resource };
  });
}

/** Authorization: mostly a factory user's token, sometimes none or a bad one. */
function authorization(ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...ctx.tokens).map((t) => `Bearer ${t}`) },
    { weight: 2, arbitrary: fc.constantFrom(...ctx.badAuth) },
  );
}

function headers(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
  return fc
    .record({
      Authorization: authorization(ctx),
      Prefer: optional(fc.oneof(fc.constantFrom(...PREFERS), hostileValue())),
      Range: optional(fc.oneof(fc.constantFrom(...RANGES), hostileValue())),
      'Range-Unit': optional(fc.constantFrom('items', 'bytes', '')),
      Accept: optional(fc.oneof(fc.constantFrom(...ACCEPTS), hostileValue())),
      'X-Request-Id': optional(hostileValue()),
      Origin: optional(fc.constantFrom('https://app.example.com', 'null', '*', 'http://localhost')),
      'Access-Control-Request-Method': optional(fc.constantFrom('GET', 'POST', 'DELETE', 'FOO')),
    })
    .map((h) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(h)) if (v) out[k] = ascii(v);
      return out;
    });
}

/** Methods: mostly the route's own, then the other standard ones, then junk. */
function method(own: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 24, arbitrary: fc.constant(own) },
    { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
    { weight: 1, arbitrary: fc.constantFrom(...JUNK_METHODS) },
  );
}

/** One request against one of the document's routes. */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  // Contacts (and users) are the factory org's only non-empty tables, and a condition is only
  // evaluated against rows: their routes are drawn more often.
  const routes = fc.oneof(...ctx.routes.map((r) => ({ weight: /contacts|users|appusers|\{table\}/.test(r.path) ? 4 : 1, arbitrary: fc.constant(r) })));
  return routes.chain((route) =>
    fc
      .record({
        method: method(route.method),
        target: concretePath(route, ctx).chain(({ path, resource }) => fc.tuple(nearMiss(path), fc.constant(resource))),
        headers: headers(ctx),
        contentType: fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, fc.constantFrom(...CONTENT_TYPES)),
        rawQuery: fc.oneof(
          { weight: 8, arbitrary: fc.constant('') },
          fc.array(fc.constantFrom(...RAW_QUERY_JUNK), { minLength: 1, maxLength: 3 }).map((xs) => `&${xs.join('&')}`),
        ),
      })
      .chain(({ method, target: [path, resource], headers, contentType, rawQuery }) => {
        const pairs = route.path.startsWith('/api/v1/appusers')
          ? appUsersPair(ctx)
          : route.path.endsWith('{id}')
            ? fc.oneof(fc.tuple(fc.constantFrom('select', 'deleted'), hostileValue()), dialectPair(ctx, resource))
            : dialectPair(ctx, resource);
        const hasBody = method !== 'GET' && method !== 'HEAD';
        const list = route.method === 'GET' && !route.path.endsWith('{id}') && !route.path.startsWith('/api/');
        return fc.record({
          method: fc.constant(method),
          route: fc.constant(route.path),
          path: fc.constant(path),
          query: fc.oneof(
            { weight: 4, arbitrary: fc.array(pairs, { maxLength: 3 }) },
            { weight: 1, arbitrary: fc.array(pairs, { maxLength: route.method === 'POST' ? 2 : 8 }) },
            // One well-typed filter alone: nothing else in the request is refused first.
            { weight: list ? 3 : 0, arbitrary: fc.array(typedFilter(ctx, resource), { minLength: 1, maxLength: 2 }) },
          ),
          rawQuery: fc.constant(rawQuery),
          headers: fc.constant(hasBody && contentType ? { ...headers, 'Content-Type': contentType } : headers),
          body: hasBody ? fc.option(queryBody(resource, ctx), { nil: undefined, freq: 8 }) : fc.constant(undefined),
        });
      }),
  );
}
