// Hostile building blocks for the route fuzzer (test/security/fuzz.test.ts): parameter names,
// operators, values of every type, and the dialect's expressions built from them. Pure
// fast-check arbitraries; what a request looks like is test/support/fuzz-requests.ts.
import fc from 'fast-check';

/** JavaScript's own property names: a lookup that is not an own-property check finds these. */
export const BUILTIN_NAMES = [...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'constructor', 'prototype', 'toJSON', 'then', 'length'];

const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is', 'fts', 'plfts', 'phfts', 'wfts', 'cs', 'ov'];
const QUANTIFIABLE = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike'];
/** Operators the query string does not have (the JSON form's, typos, other dialects'). */
const FOREIGN_OPERATORS = ['contains', 'startswith', 'endswith', 'isdistinct', 'match', 'imatch', 'sl', 'sr', 'nxl', 'adj', 'cd', 'not', 'EQ', 'eq ', ''];
const FTS_CONFIGS = ['english', 'simple', 'german', 'pg_catalog', 'nope', 'english_stem', 'a'];

/** Characters with a meaning in PostgREST's grammar, in tsquery / websearch syntax, in LIKE patterns, in JSON or SQL. */
const SPECIAL = [
  '(',
  ')',
  '&',
  '|',
  '!',
  ':',
  '*',
  ',',
  '.',
  '"',
  "'",
  '\\',
  '{',
  '}',
  '%',
  '_',
  '<->',
  '<2>',
  ':*',
  '-',
  ';',
  '=',
  '$1',
  '--',
  '/*',
  '\u0000',
];

/** Unicode that breaks naive handling: NUL, lone surrogates, bidi controls, BOM, non-characters, combining marks, astral. */
const UNICODE = [
  '\u0000',
  '\uD800',
  '\uDC00',
  '\uDBFF\uDBFF',
  '\u202E',
  '\u200F',
  '\u061C',
  '\uFEFF',
  '\uFFFE',
  '\uFFFF',
  'e\u0301',
  '\u0130',
  'ß',
  'ﬃ',
  '𝔘𝔫𝔦',
  '👩‍👩‍👧‍👦',
  '\u3000',
  '\u00A0',
  '\r\n',
  '\t',
  '\u0085',
  '\u2028',
  'Ω≈ç√',
  '田中',
  'ع',
];

const DATES = [
  '1990-01-01',
  '2024-02-29',
  '2023-02-29',
  '2024-13-01',
  '2024-00-10',
  '0000-01-01',
  '0001-01-01',
  '-0001-01-01',
  '4714-11-24 BC',
  '4714-11-23 BC',
  '5874897-12-31',
  '5874898-01-01',
  '294276-12-31',
  '294277-01-01',
  '99999-12-31',
  '10000-01-01',
  'infinity',
  '-infinity',
  'epoch',
  'now',
  'today',
  'tomorrow',
  'allballs',
  'J2451187',
  '1990-01-01T25:00:00Z',
  '2024-01-01T00:00:00+16:00',
  '2024-01-01T00:00:00+15:59',
  '2024-01-01T00:00:00-16:00',
  '2024-01-01T00:00:00+99:99',
  '2024-01-01T00:00:00.1234567890Z',
  '2024-01-01 00:00:00 America/Nowhere',
  '2024-01-01 00:00:00 Europe/Berlin',
  '2024-01-01T00:00:60Z',
  '20240101',
  '1/2/3',
  '1e10',
];

const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '2147483647',
  '2147483648',
  '-2147483649',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '1e309',
  '-1e309',
  '1e-400',
  '1e5',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  '0x10',
  '0b1',
  '0o7',
  '1_000',
  '.5',
  '5.',
  '00001',
  '+5',
  ' 5 ',
  '1,5',
  `1${'0'.repeat(400)}`,
  `0.${'9'.repeat(400)}`,
];

const UUIDS = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
  'a0eebc999c0b4ef8bb6d6bb9bd380a11',
  'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111',
  'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
];

const BOOLEANS = ['true', 'false', 't', 'f', 'yes', 'no', 'on', 'off', '1', '0', 'TRUE', 'maybe', 'null', 'unknown', 'not_null', 'empty', 'not_empty', ''];

/** Lists as PostgREST writes them, well-formed and not. */
const LISTS = [
  '()',
  '{}',
  '(a)',
  '(a,b)',
  '{a,b}',
  '("a,b",c)',
  '("a\\"b")',
  '(a',
  'a)',
  '((a))',
  '{a,{b}}',
  '(,)',
  '("",)',
  '(\\)',
  '("\\',
  '(null)',
  '{NULL}',
];

/** Full-text and websearch inputs: operators alone, unbalanced, prefix markers, quotes. */
const FTS = [
  '!',
  '&',
  '|',
  '!!a',
  'a & | b',
  'a:*',
  ':*',
  '*',
  'a <-> b',
  '<->',
  'a <999999> b',
  '(a',
  'a)',
  "'",
  "''",
  '"unterminated',
  '-',
  'or',
  'a or',
  '-a -b',
  '" "',
  'a:A',
  'a:Z',
  '\\',
];

/** Timestamps the value check lets through whose offsets or years Postgres may still refuse. */
const TIMESTAMPS = [
  '2024-01-01T00:00:00+16:00',
  '2024-01-01T00:00:00-16:00',
  '2024-01-01T00:00:00+15:59',
  '2024-01-01T00:00:00+99:99',
  '2024-01-01T00:00:00+9999',
  '2024-01-01T00:00:00-00',
  '2024-01-01 00:00',
  '9999-12-31T23:59:59-15:59',
  '0001-01-01T00:00:00+15:59',
  '0001-01-01',
  '9999-12-31',
  '2024-01-01T23:59:59.999999Z',
];

/** Values aimed at one field type: well-formed enough to pass the parser, hostile enough to reach Postgres. */
export function typedValue(type: string, values: readonly string[] = [], ids: readonly string[] = []): fc.Arbitrary<string> {
  const pools: Record<string, readonly string[]> = {
    uuid: [...UUIDS, ...ids],
    int: NUMBERS,
    numeric: [...NUMBERS, '12345678901234.123456', '-0.000001', '99999999999999.999999', '1.1234567'],
    bool: BOOLEANS,
    date: [...DATES, ...TIMESTAMPS],
    timestamp: [...TIMESTAMPS, ...DATES],
    enum: [...values, ...values.map((v) => v.toUpperCase()), ...BUILTIN_NAMES],
    tsvector: FTS,
    // Patterns: `*` is `%` in like/ilike; a trailing backslash escapes nothing.
    text: ['*\\', 'a\\', '\\', '*a*', '*\\*', '\\%', '%_', '*', 'Anna', 'Zeta', '\u0000', '\uD800'],
  };
  const pool = pools[type];
  return pool?.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: hostileValue() }) : hostileValue();
}

/** Whatever the grammar reads, plus text, unicode, escapes (a trailing backslash), and size. */
export function hostileValue(extra: readonly string[] = []): fc.Arbitrary<string> {
  const pieces = fc.constantFrom(...SPECIAL, ...UNICODE, ...DATES, ...NUMBERS, ...UUIDS, ...BOOLEANS, ...LISTS, ...FTS, ...extra, 'Anna', 'Smith', 'a', '');
  return fc.oneof(
    { weight: 4, arbitrary: pieces },
    { weight: 3, arbitrary: fc.array(pieces, { minLength: 1, maxLength: 5 }).map((xs) => xs.join('')) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 20 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => `${s}\\`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(pieces, fc.constantFrom(199, 200, 201, 500, 501, 2000, 2001, 5000))
        .map(([p, n]) => (p || 'x').repeat(Math.ceil(n / Math.max(1, p.length))).slice(0, n)),
    },
  );
}

/** Parameter names: the resource's own fields, JavaScript built-ins, the dialect's reserved words, and random strings. */
export function paramName(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...fields) },
    { weight: 3, arbitrary: fc.constantFrom(...BUILTIN_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom('or', 'and', 'not.or', 'not.and', 'select', 'order', 'columns', 'on_conflict', 'name', 'tags', 'search') },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((f) => `${f}.${f}`) },
    { weight: 1, arbitrary: fc.constantFrom('company.name', 'stages.order', 'stages.limit', 'a.b.c', '.', '..', '') },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  );
}

/** An operator token: known, quantified, with a text-search configuration, negated, or foreign. */
export function operatorToken(): fc.Arbitrary<string> {
  const plain = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...OPERATORS) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...QUANTIFIABLE, 'in', 'is', 'cs'), fc.constantFrom('(any)', '(all)', '(some)', '()')).map(([o, q]) => o + q),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('fts', 'plfts', 'phfts', 'wfts', 'eq'), fc.constantFrom(...FTS_CONFIGS)).map(([o, c]) => `${o}(${c})`) },
    { weight: 1, arbitrary: fc.constantFrom(...FOREIGN_OPERATORS, ...BUILTIN_NAMES) },
  );
  return fc.tuple(fc.constantFrom('', '', '', 'not.', 'not.not.'), plain).map(([n, o]) => n + o);
}

/** `op.value` for one parameter (PostgREST's horizontal filter), sometimes without a dot at all. */
export function filterExpr(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(operatorToken(), hostileValue()).map(([o, v]) => `${o}.${v}`) },
    { weight: 1, arbitrary: hostileValue() },
    { weight: 1, arbitrary: fc.tuple(operatorToken(), fc.array(hostileValue(), { maxLength: 4 })).map(([o, vs]) => `${o}.(${vs.join(',')})`) },
  );
}

/** `or=(…)` / `and=(…)` bodies, nested past the documented depth. */
export function logicExpr(fields: readonly string[]): fc.Arbitrary<string> {
  const { tree } = fc.letrec<{ tree: string; item: string }>((tie) => ({
    tree: fc.array(tie('item'), { minLength: 0, maxLength: 4 }).map((items) => `(${items.join(',')})`),
    item: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(paramName(fields), filterExpr()).map(([f, e]) => `${f}.${e}`),
      fc.tuple(fc.constantFrom('and', 'or', 'not.and', 'not.or', 'AND', 'xor'), tie('tree')).map(([k, t]) => k + t),
      hostileValue(),
    ),
  }));
  return fc.oneof(
    { weight: 6, arbitrary: tree },
    { weight: 1, arbitrary: fc.integer({ min: 3, max: 60 }).map((n) => `${'(or'.repeat(n)}(a.eq.1)${')'.repeat(n)}`.replace(/^\(or/, '(')) },
    { weight: 1, arbitrary: hostileValue() },
  );
}

/** `select=…`: columns, relations, aliases, `!inner`, nesting, spreads, casts, JSON paths, built-ins. */
export function selectExpr(fields: readonly string[], relations: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fields, '*') }, { weight: 1, arbitrary: fc.constantFrom(...BUILTIN_NAMES) });
  const rel = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(relations.length ? relations : ['company'])) },
    { weight: 1, arbitrary: fc.constantFrom(...BUILTIN_NAMES) },
  );
  const term = fc.oneof(
    { weight: 4, arbitrary: name },
    { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), name).map(([a, n]) => `${a}:${n}`) },
    { weight: 2, arbitrary: fc.tuple(rel, fc.array(name, { maxLength: 3 })).map(([r, ns]) => `${r}(${ns.join(',')})`) },
    { weight: 1, arbitrary: fc.tuple(rel, rel, name).map(([a, b, n]) => `${a}(${b}(${n}))`) },
    { weight: 1, arbitrary: fc.tuple(rel, fc.constantFrom('!inner', '!left', '!fk', '...', '')).map(([r, m]) => (m === '...' ? `...${r}(*)` : `${r}${m}(*)`)) },
    { weight: 1, arbitrary: fc.tuple(name, fc.constantFrom('::text', '->>a', '->0', '::', ':')).map(([n, s]) => n + s) },
    { weight: 1, arbitrary: hostileValue() },
  );
  return fc.array(term, { minLength: 0, maxLength: 5 }).map((ts) => ts.join(','));
}

/** `order=…` with directions, null placement, junk modifiers and too many terms. */
export function orderExpr(fields: readonly string[]): fc.Arbitrary<string> {
  const mod = fc.constantFrom(
    '',
    '.asc',
    '.desc',
    '.nullsfirst',
    '.nullslast',
    '.asc.nullsfirst',
    '.desc.nullslast',
    '.desc.nullsfirst',
    '.ASC',
    '.up',
    '..',
    '.asc.desc',
  );
  const term = fc
    .tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.constantFrom(...BUILTIN_NAMES) }), mod)
    .map(([f, m]) => f + m);
  return fc.oneof({ weight: 5, arbitrary: fc.array(term, { minLength: 1, maxLength: 5 }).map((ts) => ts.join(',')) }, { weight: 1, arbitrary: hostileValue() });
}

/** Numbers as the query string carries them: in range, past it, and not numbers at all. */
export function numberParam(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('0', '1', '25', '1000', '1001', '10000', '10001', '100000', '999999999', '1000000000', '-1', '1.5', '1e3', ' 5', '5 ', '', '０', '٣'),
    fc.integer({ min: -5, max: 2_000_000 }).map(String),
    fc.constantFrom(...NUMBERS),
  );
}

/**
 * Percent-encodes any JavaScript string, lone surrogates included: those go out as the bytes
 * of their UTF-16 code unit encoded as if it were a scalar (ED A0 80…), which is invalid
 * UTF-8, exactly what a hostile client can send and encodeURIComponent refuses to produce.
 */
export function encodeAny(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += `%${(0xe0 | (c >> 12)).toString(16).toUpperCase()}%${(0x80 | ((c >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}`;
    } else out += encodeURIComponent(s[i]);
  }
  return out;
}

/** Raw bytes and broken escapes that no encoder produces, appended to a query string as they are. */
export const RAW_QUERY_JUNK = [
  '%',
  '%zz',
  '%FF',
  '%C0%80',
  '%ED%A0%80',
  '%00',
  '&&',
  '=',
  '==',
  'a=b=c',
  '&=x',
  '+',
  '%2B',
  ';',
  '#frag',
  '?',
  '[]=1',
  'a[b]=1',
];

/** JSON nested `depth` levels deep, as text (JSON.stringify of such a value could overflow the test's own stack). */
export function deepJson(depth: number, shape: 'not' | 'and' | 'array' | 'unknown' | 'select'): string {
  switch (shape) {
    case 'not':
      return `{"where":${'{"not":'.repeat(depth)}{"field":"first_name","operator":"equals","value":"a"}${'}'.repeat(depth)}}`;
    case 'and':
      return `{"where":${'{"and":['.repeat(depth)}{"field":"first_name","operator":"equals","value":"a"}${']}'.repeat(depth)}}`;
    case 'array':
      return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'unknown':
      return `{"where":{"field":"first_name","operator":"equals","value":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    case 'select':
      return `{"select":${'['.repeat(depth)}"id"${']'.repeat(depth)}}`;
  }
}
