// The route fuzzer's query strings (test/security/fuzz.test.ts): filters, reserved parameters
// and cursors for the /v1 and /rest lists, and the appusers mount's own parameters.
import fc from 'fast-check';
import { opsOf } from '../../src/query/resource';
import { CATALOG, RESOURCES } from '../../src/resources/registry';
import { BUILTIN_NAMES, filterExpr, hostileValue, logicExpr, numberParam, orderExpr, paramName, selectExpr, typedValue } from './fuzz-values';

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

export function cursorValue(ctx: FuzzContext): fc.Arbitrary<string> {
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
export function typedFilter(ctx: FuzzContext, resource: string | undefined): fc.Arbitrary<[string, string]> {
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
export function dialectPair(ctx: FuzzContext, resource: string | undefined): fc.Arbitrary<[string, string]> {
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
export function appUsersPair(ctx: FuzzContext): fc.Arbitrary<[string, string]> {
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
