// The route fuzzer's JSON bodies for POST /v1/{resource}/query (test/security/fuzz.test.ts):
// `where` trees (well-typed and not), the documented keys with right and wrong types, unknown
// and built-in keys, depth, and text that is not JSON at all.
import fc from 'fast-check';
import { JSON_OPERATORS } from '../../src/query/parse-json';
import { RESOURCES } from '../../src/resources/registry';
import { cursorValue, type FuzzContext, vocabulary } from './fuzz-params';
import { BUILTIN_NAMES, deepJson, hostileValue, paramName, selectExpr, typedValue } from './fuzz-values';

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

/** One well-typed condition (a declared field, a value aimed at its type) as a whole where: nothing else in the body is refused first. */
function typedWhere(resource: string | undefined, ctx: FuzzContext): fc.Arbitrary<unknown> {
  const def = resource && Object.hasOwn(RESOURCES, resource) ? RESOURCES[resource] : RESOURCES.contacts;
  return fc.constantFrom(...Object.entries(def.fields)).chain(([name, f]) => {
    const v = typedValue(f.type, f.values, ctx.ids);
    return fc
      .tuple(fc.constantFrom(...JSON_OPERATORS), fc.oneof(v, fc.array(v, { minLength: 1, maxLength: 3 })))
      .map(([operator, value]) => ({ field: name, operator, value }));
  });
}

/** A POST /v1/{resource}/query body: the documented keys with right and wrong types, unknown and built-in keys, depth, and non-JSON. */
export function queryBody(resource: string | undefined, ctx: FuzzContext): fc.Arbitrary<string> {
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
  const focused = fc
    .record({ where: typedWhere(resource, ctx), orderBy: fc.option(orderBy, { nil: undefined }), count: fc.option(typed.count, { nil: undefined }) })
    .map((b) => JSON.stringify(b));
  return fc.oneof(
    { weight: 12, arbitrary: object },
    { weight: 6, arbitrary: focused },
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
