// The route fuzzer's requests (test/security/fuzz.test.ts): which route, method, path, query
// string, headers and body, built from the OpenAPI document's routes, the resources' fields
// and the hostile pieces of fuzz-values.ts; how one is sent; and the property every answer
// must keep.
import { SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { ERROR_STATUS } from '../../src/core/errors';
import { opsOf } from '../../src/query/resource';
import { CATALOG, RESOURCES } from '../../src/resources/registry';
import {
  BUILTIN_NAMES,
  deepJson,
  encodeAny,
  filterExpr,
  hostileValue,
  logicExpr,
  numberParam,
  orderExpr,
  paramName,
  RAW_QUERY_JUNK,
  selectExpr,
  typedValue,
} from './fuzz-values';

/** The security suite's LEAK (test/security/routes.test.ts): SQL error text or a stack in a body. */
export const LEAK = /syntax error|relation "|column "|pg_|ERROR:|at character|SQLSTATE|stack|node_modules/i;

/** Documentation routes: their 200 bodies are the documents themselves, so LEAK does not apply to those. */
const DOCUMENTS = new Set(['/openapi.json', '/docs']);

export interface DocRoute {
  method: string;
  /** The OpenAPI path, e.g. /v1/contacts/{id}. */
  path: string;
}

/** What the generators draw from, gathered once per run (real ids, real cursors, signed tokens). */
export interface FuzzContext {
  routes: DocRoute[];
  ids: string[];
  cursors: string[];
  /** Tokens of the factory org's users. */
  tokens: string[];
  /** Missing, malformed, expired, wrongly signed or wrongly claimed Authorization values ('' = no header). */
  badAuth: string[];
}

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

export interface FuzzResponse {
  status: number;
  type: string;
  text: string;
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

/** Fields and relations a route's resource declares (the compound names and internal fields too), from the catalog. */
export function vocabulary(resource: string | undefined): { fields: string[]; relations: string[] } {
  const def = resource && Object.hasOwn(CATALOG, resource) ? CATALOG[resource] : CATALOG.contacts;
  return { fields: [...Object.keys(def.fields), ...Object.keys(def.compound ?? {})], relations: Object.keys(def.relations) };
}

const APPUSERS_PARAMS = [
  'page',
  'page_size',
  'ordering',
  'first_name',
  'last_name',
  'phone_number',
  'city',
  'street',
  'country',
  'gender',
  'customer_id',
  'birthday',
  'points_min',
  'points_max',
  'last_activity_after',
];
const APPUSERS_ORDERING = ['id', 'first_name', 'last_name', 'gender', 'customer_id', 'phone_number', 'created', 'birthday', 'last_updated', 'address'];

function cursorValue(ctx: FuzzContext): fc.Arbitrary<string> {
  // A forged cursor stands in when none could be read (an empty org).
  const real = fc.constantFrom(...(ctx.cursors.length ? ctx.cursors : [`e30.${'A'.repeat(43)}`]));
  return fc.oneof(
    { weight: 2, arbitrary: real },
    {
      weight: 3,
      arbitrary: fc
        .tuple(real, fc.nat(), fc.constantFrom('A', 'a', '_', '-', '0', '.', '=', '+', '/', '%'))
        .map(([c, i, ch]) => c.slice(0, i % c.length) + ch + c.slice((i % c.length) + 1)),
    },
    { weight: 1, arbitrary: fc.tuple(real, fc.nat()).map(([c, n]) => c.slice(0, n % c.length)) },
    {
      weight: 1,
      arbitrary: real.map((c) => {
        const [body, sig] = c.split('.');
        return `${sig}.${body}`;
      }),
    },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }).map((s) => `${s.replace(/=/g, '')}.${'A'.repeat(43)}`) },
    { weight: 1, arbitrary: fc.constantFrom(`${'A'.repeat(4001)}.${'A'.repeat(43)}`, `${'A'.repeat(4000)}.${'B'.repeat(43)}`, '.', '..', 'e30.', 'e30') },
    { weight: 1, arbitrary: hostileValue() },
  );
}

/**
 * A filter the parser and the whitelist accept (a declared field, one of its own operators, a
 * value aimed at its type), so the hostile part reaches the compiler and Postgres.
 */
function typedFilter(ctx: FuzzContext, resource: string | undefined): fc.Arbitrary<[string, string]> {
  const def = resource && Object.hasOwn(RESOURCES, resource) ? RESOURCES[resource] : RESOURCES.contacts;
  const fields = Object.entries(def.fields);
  const tags: Array<fc.Arbitrary<[string, string]>> = def.tagLinks
    ? [
        fc
          .tuple(fc.constantFrom('cs', 'ov', 'in', 'eq', 'not.cs'), fc.array(hostileValue(), { maxLength: 3 }))
          .map(([op, vs]) => ['tags', `${op}.${op === 'eq' ? (vs[0] ?? '') : `{${vs.join(',')}}`}`] as [string, string]),
      ]
    : [];
  const compound = Object.keys(def.compound ?? {});
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...fields).chain(([name, f]) => fc.tuple(fc.constant(name), typedExpr(f.type, opsOf(f), f.values, ctx.ids))) },
    ...(compound.length ? [fc.tuple(fc.constantFrom(...compound), typedExpr('text', ['eq', 'ilike', 'like', 'in'], undefined, ctx.ids))] : []),
    ...tags,
  );
}

function typedExpr(type: string, ops: readonly string[], values: readonly string[] | undefined, ids: readonly string[]): fc.Arbitrary<string> {
  const value = typedValue(type, values, ids);
  const quote = (v: string) => (/[,(){}"\\]/.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : v);
  return fc
    .tuple(
      fc.constantFrom('', '', 'not.'),
      fc.constantFrom(...ops),
      fc.array(value, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('', '(any)', '(all)', '(english)'),
    )
    .map(([not, op, vs, mod]) => {
      if (op === 'in' || op === 'cs' || op === 'ov') return `${not}${op}.(${vs.map(quote).join(',')})`;
      if (mod === '(any)' || mod === '(all)')
        return ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike'].includes(op)
          ? `${not}${op}${mod}.{${vs.map(quote).join(',')}}`
          : `${not}${op}.${vs[0]}`;
      if (mod === '(english)' && /fts$/.test(op)) return `${not}${op}${mod}.${vs[0]}`;
      return `${not}${op}.${vs.join(' ')}`;
    });
}

/** A query-string pair for a /v1 or /rest list: a filter or one of the reserved parameters. */
function dialectPair(ctx: FuzzContext, resource: string | undefined): fc.Arbitrary<[string, string]> {
  const { fields, relations } = vocabulary(resource);
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(paramName(fields), filterExpr()) },
    { weight: 8, arbitrary: typedFilter(ctx, resource) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('select'), selectExpr(fields, relations)) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('order'), orderExpr(fields)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('limit', 'offset'), numberParam()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('cursor'), cursorValue(ctx)) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('q'), hostileValue()) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constant('search_mode'), fc.constantFrom('auto', 'fts', 'trigram', 'fuzzy', 'prefix', 'FTS', '', 'regex', ...BUILTIN_NAMES)),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant('count'), fc.constantFrom('exact', 'planned', 'estimated', '', 'none', ...BUILTIN_NAMES)) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('deleted'), fc.constantFrom('include', 'only', 'exclude', '', ...BUILTIN_NAMES)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('or', 'and', 'not.or', 'not.and'), logicExpr(fields)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...APPUSERS_PARAMS), hostileValue()) },
  );
}

/** The appusers mount's own parameters with hostile values, and sometimes the dialect's. */
function appUsersPair(ctx: FuzzContext): fc.Arbitrary<[string, string]> {
  const ordering = fc
    .array(
      fc.tuple(
        fc.constantFrom('', '-', '--', '+', ' '),
        fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...APPUSERS_ORDERING) }, fc.constantFrom(...BUILTIN_NAMES)),
      ),
      { maxLength: 5 },
    )
    .map((ts) => ts.map(([s, f]) => s + f).join(','));
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constantFrom('page', 'page_size'),
        fc.oneof(numberParam(), fc.constantFrom('last', 'LAST', 'first', '1.0', '99999999999999999999')),
      ),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constant('ordering'), fc.oneof({ weight: 4, arbitrary: ordering }, hostileValue())) },
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...APPUSERS_PARAMS), hostileValue()) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...BUILTIN_NAMES), hostileValue()) },
    { weight: 1, arbitrary: dialectPair(ctx, 'contacts') },
  );
}

/** A JSON value of any type, for wrong-typed keys. */
const anyJson = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 2147483648, '', 'x', [], {}),
  hostileValue(),
  fc.array(fc.oneof(hostileValue(), fc.integer()), { maxLength: 3 }),
);

/** An object whose keys are all own properties, `__proto__` included, so JSON.stringify writes them all. */
function own(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const JSON_OPERATORS = [
  'equals',
  'notEquals',
  'contains',
  'startsWith',
  'endsWith',
  'isEmpty',
  'isNotEmpty',
  'greaterThan',
  'greaterThanOrEqual',
  'lessThan',
  'lessThanOrEqual',
  'between',
  'in',
  'notIn',
  'search',
  'hasAll',
  'hasAny',
];

function whereTree(fields: readonly string[], resource: string | undefined, ctx: FuzzContext): fc.Arbitrary<unknown> {
  const def = resource && Object.hasOwn(RESOURCES, resource) ? RESOURCES[resource] : RESOURCES.contacts;
  const scalar = fc.oneof(hostileValue(), fc.double(), fc.integer(), fc.boolean(), fc.constantFrom(1e308, -0, 2 ** 31, 2 ** 63, 0.1));
  const value = fc.oneof(
    { weight: 4, arbitrary: scalar },
    { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, {}, [[]], { a: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 499, max: 502 }).map((n) => Array.from({ length: n }, (_, i) => String(i))) },
  );
  const cond = fc
    .tuple(
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, paramName(fields)),
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...JSON_OPERATORS) }, fc.constantFrom('eq', 'ilike', 'fts', '', ...BUILTIN_NAMES)),
      fc.option(value, { nil: undefined }),
      fc.option(fc.tuple(paramName(fields), anyJson), { nil: undefined, freq: 8 }),
    )
    .map(([field, operator, v, extra]) =>
      own([['field', field], ['operator', operator], ...(v === undefined ? [] : ([['value', v]] as Array<[string, unknown]>)), ...(extra ? [extra] : [])]),
    );
  // A declared field with a value aimed at its type, so the condition reaches Postgres.
  const typedCond = fc.constantFrom(...Object.entries(def.fields)).chain(([name, f]) => {
    const v = typedValue(f.type, f.values, ctx.ids);
    return fc
      .tuple(fc.constantFrom(...JSON_OPERATORS), fc.oneof(v, fc.array(v, { minLength: 1, maxLength: 3 }), fc.double(), fc.integer()))
      .map(([operator, value]) => ({ field: name, operator, value }));
  });
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      cond,
      typedCond,
      fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('tree'), { maxLength: 4 })).map(([k, xs]) => own([[k, xs]])),
      tie('tree').map((x) => own([['not', x]])),
      fc.tuple(fc.constantFrom('and', 'or', 'not', ...BUILTIN_NAMES), anyJson).map(([k, v]) => own([[k, v]])),
      fc.constantFrom(33, 40).map((n) => ({ or: Array.from({ length: n }, () => ({ field: 'first_name', operator: 'equals', value: 'a' })) })),
    ),
  }));
  return tree;
}

/** A POST /v1/{resource}/query body: the documented keys with right and wrong types, unknown and built-in keys, depth, and non-JSON. */
function queryBody(resource: string | undefined, ctx: FuzzContext): fc.Arbitrary<string> {
  const { fields, relations } = vocabulary(resource);
  const orderBy = fc.array(
    fc
      .tuple(
        paramName(fields),
        fc.option(fc.constantFrom('asc', 'desc', 'ASC', 'up'), { nil: undefined }),
        fc.option(fc.constantFrom('first', 'last', 'middle'), { nil: undefined }),
      )
      .map(([field, direction, nulls]) =>
        own([['field', field], ...(direction ? [['direction', direction]] : []), ...(nulls ? [['nulls', nulls]] : [])] as Array<[string, unknown]>),
      ),
    { maxLength: 5 },
  );
  const typed: Record<string, fc.Arbitrary<unknown>> = {
    where: whereTree(fields, resource, ctx),
    orderBy,
    select: selectExpr(fields, relations),
    limit: fc.oneof(fc.integer({ min: -1, max: 1001 }), fc.constantFrom(1e308, 2 ** 53, 0.5)),
    cursor: cursorValue(ctx),
    offset: fc.oneof(fc.integer({ min: -1, max: 10_001 }), fc.constantFrom(1e308, 2 ** 53 - 1, 999_999_999, 2 ** 31)),
    count: fc.constantFrom('exact', 'planned', 'estimated', 'nope'),
    q: hostileValue(),
    searchMode: fc.constantFrom('auto', 'fts', 'trigram', 'fuzzy', 'prefix', 'nope'),
    deleted: fc.constantFrom('exclude', 'include', 'only', 'nope'),
  };
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...Object.keys(typed)) },
    { weight: 1, arbitrary: fc.constantFrom(...BUILTIN_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const entry = key.chain((k) =>
    fc.tuple(fc.constant(k), Object.hasOwn(typed, k) ? fc.oneof({ weight: 5, arbitrary: typed[k] }, anyJson) : anyJson),
  ) as fc.Arbitrary<[string, unknown]>;
  const object = fc.array(entry, { maxLength: 5 }).map((es) => JSON.stringify(own(es)));
  return fc.oneof(
    { weight: 12, arbitrary: object },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(10, 100, 1000, 5000, 10_000),
          fc.constantFrom('not', 'and', 'array', 'unknown', 'select') as fc.Arbitrary<Parameters<typeof deepJson>[1]>,
        )
        .map(([d, s]) => deepJson(d, s)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        '1',
        '"x"',
        '[]',
        '{',
        '{"where":',
        '\uFEFF{}',
        '{"limit":1e400}',
        '{"offset":1e400}',
        '{"offset":9007199254740993}',
        '{"limit":25,"limit":"x"}',
        '{"where":{"field":"points","operator":"equals","value":1e400}}',
        '{"__proto__":{"where":1}}',
        '{"constructor":{"prototype":{}}}',
        'NaN',
        '{"q":"\\ud800"}',
        '{"q":"\\u0000"}',
      ),
    },
    { weight: 1, arbitrary: hostileValue() },
  );
}

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

export function requestUrl(req: FuzzRequest): string {
  const qs = req.query.map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`).join('&') + req.rawQuery;
  return `http://localhost${req.path}${qs ? `?${qs}` : ''}`;
}

export async function send(req: FuzzRequest): Promise<FuzzResponse> {
  const res = await SELF.fetch(requestUrl(req), { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

/** The property: never a 5xx; every error is problem+json with a code of the closed list (and its status); no SQL text or stack in any body. */
export function violation(req: FuzzRequest, res: FuzzResponse): string | null {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status >= 400) {
    if (!res.type.includes('application/problem+json')) return `a ${res.status} as ${res.type || 'no content type'}, not problem+json`;
    if (req.method !== 'HEAD') {
      let body: { code?: unknown };
      try {
        body = JSON.parse(res.text);
      } catch {
        return 'a problem body that is not JSON';
      }
      const code = body?.code;
      if (typeof code !== 'string' || !Object.hasOwn(ERROR_STATUS, code)) return `code ${JSON.stringify(code)} is not in src/core/errors.ts`;
      if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== res.status) return `code ${code} answered with status ${res.status}`;
    }
  }
  if (!(res.status < 300 && DOCUMENTS.has(req.route))) {
    // Only text the request itself did not carry: an error may quote the client's own input.
    const sent = decodeLoosely(`${req.path} ${req.query.flat().join(' ')} ${req.body ?? ''} ${Object.values(req.headers).join(' ')}`).toLowerCase();
    for (const m of res.text.matchAll(new RegExp(LEAK.source, 'gi'))) if (!sent.includes(m[0].toLowerCase())) return `the body leaks "${m[0]}"`;
  }
  return null;
}

function decodeLoosely(s: string): string {
  try {
    return `${s} ${decodeURIComponent(s)}`;
  } catch {
    return s;
  }
}

/** One line for a report: method, URL (cut), headers that matter, body (cut). */
export function describeRequest(req: FuzzRequest, max = 300): string {
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
  const h = Object.entries(req.headers)
    .filter(([k]) => k !== 'Authorization')
    .map(([k, v]) => `${k}: ${cut(v)}`);
  const auth =
    req.headers.Authorization === undefined
      ? 'no token'
      : req.headers.Authorization.startsWith('Bearer ey')
        ? 'token'
        : `Authorization: ${cut(req.headers.Authorization)}`;
  return `${req.method} ${cut(requestUrl(req).replace('http://localhost', ''))} [${[auth, ...h].join('; ')}]${req.body === undefined ? '' : ` body ${cut(JSON.stringify(req.body))}`}`;
}
