import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Filter, ListRequest } from '../../src/query/ast';
import { decodeCursor, encodeCursor } from '../../src/query/cursor';
import { parseQueryBody } from '../../src/query/parse-json';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList as planWith } from '../../src/query/plan';
import { printQueryString } from '../../src/query/print';
import type { ResourceDef } from '../../src/query/resource';
import { CATALOG } from '../../src/resources/registry';

const { contacts, deals } = CATALOG;

const parse = (qs: string, prefer?: string) => parseQueryString(new URLSearchParams(qs), prefer);
const AUTH = { orgId: '00000000-0000-4000-8000-000000000001', userId: '00000000-0000-4000-8000-000000000002', role: 'admin' as const };
const planList = (resource: ResourceDef, req: ListRequest) => planWith({ catalog: CATALOG, resource, req, orgId: AUTH.orgId });

describe('query-string dialect: examples', () => {
  const examples: Array<[string, Filter[]]> = [
    ['age=gte.18', [{ kind: 'cond', field: 'age', op: 'gte', value: '18', not: false }]],
    ['name=not.eq.x', [{ kind: 'cond', field: 'name', op: 'eq', value: 'x', not: true }]],
    ['a=like.*abc*', [{ kind: 'cond', field: 'a', op: 'like', value: '*abc*', not: false }]],
    ['a=in.(1,"2,3",x y)', [{ kind: 'cond', field: 'a', op: 'in', value: ['1', '2,3', 'x y'], not: false }]],
    ['a=is.null', [{ kind: 'cond', field: 'a', op: 'is', value: 'null', not: false }]],
    ['a=eq."quoted"', [{ kind: 'cond', field: 'a', op: 'eq', value: 'quoted', not: false }]],
    ['tags=cs.{vip,new}', [{ kind: 'cond', field: 'tags', op: 'cs', value: ['vip', 'new'], not: false }]],
    ['search=fts(english).cats', [{ kind: 'cond', field: 'search', op: 'fts', value: 'cats', not: false, config: 'english' }]],
    ['search=wfts.cat -dog', [{ kind: 'cond', field: 'search', op: 'wfts', value: 'cat -dog', not: false }]],
    [
      'or=(a.eq.1,and(b.gt.2,c.not.is.null))',
      [
        {
          kind: 'or',
          not: false,
          items: [
            { kind: 'cond', field: 'a', op: 'eq', value: '1', not: false },
            {
              kind: 'and',
              not: false,
              items: [
                { kind: 'cond', field: 'b', op: 'gt', value: '2', not: false },
                { kind: 'cond', field: 'c', op: 'is', value: 'null', not: true },
              ],
            },
          ],
        },
      ],
    ],
    [
      'a=ilike(any).{x*,"y,z"}',
      [
        {
          kind: 'or',
          not: false,
          items: [
            { kind: 'cond', field: 'a', op: 'ilike', value: 'x*', not: false },
            { kind: 'cond', field: 'a', op: 'ilike', value: 'y,z', not: false },
          ],
        },
      ],
    ],
    [
      'a=not.eq(all).{1,2}',
      [
        {
          kind: 'and',
          not: true,
          items: [
            { kind: 'cond', field: 'a', op: 'eq', value: '1', not: false },
            { kind: 'cond', field: 'a', op: 'eq', value: '2', not: false },
          ],
        },
      ],
    ],
    [
      'not.and=(a.eq.1,b.eq.2)',
      [
        {
          kind: 'and',
          not: true,
          items: [
            { kind: 'cond', field: 'a', op: 'eq', value: '1', not: false },
            { kind: 'cond', field: 'b', op: 'eq', value: '2', not: false },
          ],
        },
      ],
    ],
  ];
  for (const [qs, where] of examples) {
    it(qs, () => expect(parse(qs).where).toEqual(where));
  }

  it('order, limit, offset, select, count', () => {
    const r = parse('order=last_name.desc.nullslast,id.asc&limit=10&offset=20&select=id,company(name,domain)', 'return=representation, count=planned');
    expect(r.order).toEqual([
      { field: 'last_name', dir: 'desc', nulls: 'last' },
      { field: 'id', dir: 'asc' },
    ]);
    expect(r).toMatchObject({
      limit: 10,
      offset: 20,
      count: 'planned',
      select: { fields: ['id'], relations: [{ name: 'company', fields: ['name', 'domain'] }] },
    });
  });

  it('select aliases (alias:field, alias:relation(...))', () => {
    expect(parse('select=firstName:first_name,employer:company(label:name),tags(name)').select).toEqual({
      fields: ['firstName:first_name'],
      relations: [
        { name: 'company', alias: 'employer', fields: ['label:name'] },
        { name: 'tags', fields: ['name'] },
      ],
    });
  });

  const errors: Array<[string, string]> = [
    ['select=id,company!inner(name)', 'invalid_query'],
    ['a=ilike(any).{}', 'invalid_query'],
    ['a=in(any).{1}', 'unsupported_operator'],
    ['company.name=eq.x', 'invalid_query'],
    ['stages.limit=2', 'invalid_query'],
    ['a=nope.1', 'unsupported_operator'],
    ['a=1', 'invalid_query'],
    ['or=(a.eq.1', 'invalid_query'],
    ['a=in.1,2', 'invalid_query'],
    ['order=a.sideways', 'invalid_query'],
    ['limit=1001', 'invalid_query'],
    ['limit=-1', 'invalid_query'],
    ['deleted=all', 'invalid_query'],
    ['or=(or(or(or(or(a.eq.1)))))', 'invalid_query'],
  ];
  for (const [qs, code] of errors) {
    it(`rejects ${qs}`, () => expect(() => parse(qs)).toThrow(expect.objectContaining({ code })));
  }
});

describe("JSON dialect: the seeds' operators", () => {
  it('maps onto the same AST', () => {
    const r = parseQueryBody({
      where: {
        and: [
          { field: 'name', operator: 'contains', value: 'an' },
          { field: 'birthday', operator: 'between', value: ['1980-01-01', '1990-01-01'] },
          { not: { field: 'status', operator: 'in', value: ['archived'] } },
          { field: 'email', operator: 'isEmpty' },
        ],
      },
      orderBy: [{ field: 'last_name', direction: 'desc' }],
      limit: 5,
    });
    expect(r.where[0]).toEqual({
      kind: 'and',
      items: [
        { kind: 'cond', field: 'name', op: 'contains', value: 'an', not: false },
        {
          kind: 'and',
          items: [
            { kind: 'cond', field: 'birthday', op: 'gte', value: '1980-01-01', not: false },
            { kind: 'cond', field: 'birthday', op: 'lte', value: '1990-01-01', not: false },
          ],
        },
        { kind: 'cond', field: 'status', op: 'in', value: ['archived'], not: true },
        { kind: 'cond', field: 'email', op: 'is', value: 'empty', not: false },
      ],
    });
    expect(r.order).toEqual([{ field: 'last_name', dir: 'desc', nulls: undefined }]);
  });

  it('negation flips: not(not(x)) is x', () => {
    const x = { field: 'status', operator: 'equals', value: 'active' };
    const cond = { kind: 'cond', field: 'status', op: 'eq', value: 'active' };
    expect(parseQueryBody({ where: { not: x } }).where).toEqual([{ ...cond, not: true }]);
    expect(parseQueryBody({ where: { not: { not: x } } }).where).toEqual([{ ...cond, not: false }]);
    expect(parseQueryBody({ where: { not: { not: { not: x } } } }).where).toEqual([{ ...cond, not: true }]);
    expect(parseQueryBody({ where: { not: { field: 'status', operator: 'notEquals', value: 'active' } } }).where).toEqual([{ ...cond, op: 'neq', not: true }]);
  });

  it('rejects unknown keys and operators', () => {
    expect(() => parseQueryBody({ where: { field: 'a', operator: 'regex', value: 'x' } })).toThrow(expect.objectContaining({ code: 'invalid_body' }));
    expect(() => parseQueryBody({ limit: 5, sql: 'select 1' })).toThrow(expect.objectContaining({ code: 'invalid_body' }));
    expect(() => parseQueryBody('nope')).toThrow(expect.objectContaining({ code: 'invalid_body' }));
  });
});

// ---- properties -------------------------------------------------------------------------

const TEXT_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'customer_id'] as const;
const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "'; drop table contacts; --",
    '"',
    '\\',
    '(',
    ')',
    ',',
    '{a,b}',
    '%_*',
    'null',
    ' lead',
    'trail ',
    '$1',
    '日本語',
    '\u0000'.replace('\u0000', ''),
  ),
);
const textCond: fc.Arbitrary<Filter> = fc
  .record({
    kind: fc.constant('cond' as const),
    field: fc.constantFrom(...TEXT_FIELDS),
    op: fc.constantFrom('eq' as const, 'neq' as const, 'ilike' as const, 'like' as const, 'gt' as const, 'lte' as const),
    value: nasty,
    not: fc.boolean(),
  })
  .filter(
    // A like pattern ending in a lone backslash is refused before planning (Postgres cannot use
    // it: test/resources/hostile-values.test.ts); these properties are about the plans of the rest.
    (f) => !(f.kind === 'cond' && (f.op === 'like' || f.op === 'ilike') && (/\\+$/.exec(String(f.value))?.[0].length ?? 0) % 2 === 1),
  );
const inCond: fc.Arbitrary<Filter> = fc.record({
  kind: fc.constant('cond' as const),
  field: fc.constantFrom(...TEXT_FIELDS),
  op: fc.constant('in' as const),
  value: fc.array(nasty, { minLength: 1, maxLength: 4 }),
  not: fc.boolean(),
});
const tree: fc.Arbitrary<Filter> = fc.letrec<{ node: Filter }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textCond,
    inCond,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }), not: fc.boolean() }),
  ),
})).node;
const request = (where: Filter[]): ListRequest => ({ where, order: [], limit: 25, search: 'auto', deleted: 'exclude' });
const depthOf = (f: Filter): number => (f.kind === 'cond' ? 1 : 1 + Math.max(...f.items.map(depthOf)));

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const aliased = (name: fc.Arbitrary<string>) => fc.tuple(fc.option(ident, { nil: undefined }), name).map(([alias, n]) => (alias ? `${alias}:${n}` : n));
const selectTree = fc.record({
  fields: fc.array(aliased(ident), { maxLength: 4 }),
  relations: fc.array(
    fc
      .record({ name: ident, alias: fc.option(ident, { nil: undefined }), fields: fc.array(aliased(ident), { maxLength: 3 }) })
      .map((r) => (r.alias === undefined ? { name: r.name, fields: r.fields } : r)),
    { maxLength: 3 },
  ),
});

describe('dialect properties', () => {
  it('print → parse is the identity on select trees, aliases included', () => {
    fc.assert(
      fc.property(selectTree, (select) => {
        const printed = printQueryString({ ...request([]), select });
        expect(parseQueryString(new URLSearchParams(printed.toString())).select).toEqual(select);
      }),
      { numRuns: 300 },
    );
  });

  it('print → parse is the identity on filter trees', () => {
    fc.assert(
      fc.property(
        fc.array(tree, { maxLength: 3 }).filter((ws) => ws.every((w) => depthOf(w) <= 4)),
        (where) => {
          const printed = printQueryString(request(where));
          expect(parseQueryString(new URLSearchParams(printed.toString())).where).toEqual(where);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every compiled statement starts its WHERE with the org predicate, and nothing escapes it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tree, { maxLength: 3 }).filter((ws) => ws.every((w) => depthOf(w) <= 4)),
        fc.constantFrom(contacts, deals),
        async (where, resource) => {
          const fixed = resource === deals ? JSON.parse(JSON.stringify(where).replace(/"(first_name|last_name|email|phone|customer_id)"/g, '"name"')) : where;
          const plan = planList(resource, request(fixed));
          for (const sql of [plan.statement, `select 1 ${plan.fromWhere}`]) {
            const m = new RegExp(
              `from ${resource.table} ${resource.alias} where (.*?) order by|from ${resource.table} ${resource.alias} where (.*)$`,
              's',
            ).exec(sql);
            let clause = (m?.[1] ?? m?.[2] ?? '').trim();
            expect(clause.startsWith(`${resource.alias}.org_id = $1 and `)).toBe(true);
            // Collapse every parenthesised group: what remains must be a flat AND chain.
            for (let prev = ''; prev !== clause; ) [prev, clause] = [clause, clause.replace(/\([^()]*\)/g, 'X')];
            expect(clause).not.toMatch(/\bor\b/);
          }
          expect(plan.values[0]).toBe(AUTH.orgId);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('user values only ever become bound parameters, never SQL text', async () => {
    const marker = fc.stringMatching(/^[a-z]{6,10}$/).map((s) => `zq${s}`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TEXT_FIELDS), fc.constantFrom('eq', 'ilike', 'neq', 'in'), marker, marker, async (field, op, v, q) => {
        const qs = `${field}=${op}.${op === 'in' ? `(${v},x)` : v}&q=${q}&order=last_name.desc`;
        const plan = planList(contacts, parse(qs));
        expect(plan.statement).not.toContain(v);
        expect(plan.statement).not.toContain(q);
        expect(JSON.stringify(plan.values)).toContain(v);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cursor properties', () => {
  const keys = fc.array(fc.option(fc.string({ maxLength: 30 }), { nil: null }), { minLength: 1, maxLength: 4 });

  it('round-trips the keys for the same shape', async () => {
    await fc.assert(
      fc.asyncProperty(keys, fc.string({ minLength: 1, maxLength: 22 }), async (k, shape) => {
        const c = await encodeCursor('s3cret-s3cret-s3cret', shape, k);
        expect((await decodeCursor('s3cret-s3cret-s3cret', c, shape, k.length)).k).toEqual(k);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects any single-character tampering, another secret, another shape, or expiry', async () => {
    await fc.assert(
      fc.asyncProperty(keys, fc.nat(), fc.constantFrom(...'ABCxyz019-_.'), async (k, pos, ch) => {
        const c = await encodeCursor('s3cret-s3cret-s3cret', 'shape', k);
        const i = pos % c.length;
        fc.pre(c[i] !== ch);
        const tampered = c.slice(0, i) + ch + c.slice(i + 1);
        await expect(decodeCursor('s3cret-s3cret-s3cret', tampered, 'shape', k.length)).rejects.toMatchObject({ code: 'invalid_cursor' });
      }),
      { numRuns: 300 },
    );
    const c = await encodeCursor('s3cret-s3cret-s3cret', 'shape', ['a']);
    await expect(decodeCursor('another-secret-another', c, 'shape', 1)).rejects.toMatchObject({ code: 'invalid_cursor' });
    await expect(decodeCursor('s3cret-s3cret-s3cret', c, 'other', 1)).rejects.toMatchObject({ code: 'invalid_cursor' });
    const old = await encodeCursor('s3cret-s3cret-s3cret', 'shape', ['a'], Date.now() - 48 * 3600_000);
    await expect(decodeCursor('s3cret-s3cret-s3cret', old, 'shape', 1)).rejects.toMatchObject({
      code: 'invalid_cursor',
      detail: expect.stringMatching(/expired/),
    });
  });
});

describe('ranges with nothing in them', () => {
  const cases: Array<[string, boolean]> = [
    ['birthday=gte.1990-12-31&birthday=lte.1990-01-01', true],
    ['birthday=gt.1990-01-01&birthday=lt.1990-01-01', true],
    ['birthday=gte.1990-01-01&birthday=lt.1990-01-01', true],
    ['birthday=gte.1990-01-01&birthday=lte.1990-01-01', false],
    ['birthday=gte.1990-01-01&birthday=lte.1990-12-31', false],
    ['birthday=eq.1990-01-01&birthday=gt.1990-06-01', true],
    ['and=(birthday.gte.1991-01-01,birthday.lte.1990-01-01)', true],
    ['not.and=(birthday.gte.1991-01-01,birthday.lte.1990-01-01)', false],
    ['or=(birthday.gte.1991-01-01,birthday.lte.1990-01-01)', false],
    ['birthday=gte.1991-01-01&birthday=not.lte.1990-01-01', false],
    ['created_at=gte.2025-01-01T00:00:00Z&created_at=lt.2024-12-31T23:00:00%2B02:00', true],
    ['created_at=gt.2025-01-01T00:00:00.0001Z&created_at=lte.2025-01-01T00:00:00.0009Z', false],
    ['created_at=gte.2025-01-01&created_at=lte.2024-01-01', false], // no offset: the session's zone decides
  ];
  for (const [qs, empty] of cases) {
    it(`${qs} → ${empty ? 'no scan' : 'queried'}`, async () => {
      const plan = planList(contacts, parse(qs));
      expect(/ and false\b/.test(plan.fromWhere), qs).toBe(empty);
    });
  }
  it('decimals and integers too (deals)', async () => {
    expect(planList(deals, parse('value=gt.100&value=lt.99.5')).fromWhere).toMatch(/ and false\b/);
    expect(planList(deals, parse('probability=gte.50&probability=lte.50')).fromWhere).not.toMatch(/ and false\b/);
    expect(planList(deals, parse('probability=gt.50&probability=lte.50')).fromWhere).toMatch(/ and false\b/);
  });
});
