import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import { Params } from '../../src/query/params';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList, planRecords } from '../../src/query/plan';
import { projectionKeys, resolveProjection } from '../../src/query/select';
import { CATALOG } from '../../src/resources/registry';
import type { ObjectGrant, UserGrants } from '../../src/sharing/types';

// Computed columns (a per-row count selected by name), a list scoped to a parent record, and
// fragments of several plans numbered into one statement (Params.adopt).
const ORG = '00000000-0000-4000-8000-000000000001';
const USER = '00000000-0000-4000-8000-000000000002';
const COMPANY = '00000000-0000-4000-8000-000000000003';
const { contacts, companies, deals } = CATALOG;

const plan = (qs: string, extra: Partial<Parameters<typeof planList>[0]> = {}) =>
  planList({ catalog: CATALOG, resource: contacts, req: parseQueryString(new URLSearchParams(qs)), orgId: ORG, ...extra });

/** Grants of a member who reads only their own records of every shared type. */
function ownOnly(): UserGrants {
  const own: ObjectGrant = { all: 'none', readOwners: [USER], editOwners: [USER], criteria: [], shares: { userId: USER, teamId: null } };
  return { orgId: ORG, userId: USER, version: 1, fingerprint: 'own', objects: { contact: own, company: own, lead: own, deal: own, activity: own } };
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('computed columns', () => {
  it('are counted per page row by a scalar subquery, live rows of the org only, in select order', () => {
    const p = plan('select=id,dc:deal_count,first_name,activity_count');
    expect(p.statement).toContain(`(select count(*) from deals d where d.org_id = $1 and d.contact_id = c.id and d.deleted_at is null)::int as "dc"`);
    expect(p.statement).toContain(`(select count(*) from activities ac where ac.org_id = $1 and ac.contact_id = c.id)::int as "activity_count"`);
    expect(projectionKeys(resolveProjection(CATALOG, contacts, parseQueryString(new URLSearchParams('select=id,dc:deal_count,first_name')).select))).toEqual([
      'id',
      'first_name',
      'dc',
    ]);
  });

  it('count only the rows the caller may read, with the placeholders of the same statement', () => {
    const p = plan('select=id,deal_count,activity_count', { access: ownOnly() });
    expect(p.statement).toMatch(
      /from deals d where d\.org_id = \$1 and d\.contact_id = c\.id and d\.deleted_at is null and \(d\.owner_id = any\(\$\d+::uuid\[\]\)/,
    );
    expect(p.statement).toMatch(/from activities ac where ac\.org_id = \$1 and ac\.contact_id = c\.id and \(ac\.owner_id = any\(\$\d+::uuid\[\]\)/);
    // Every placeholder has its value.
    const used = Math.max(...[...p.statement.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    expect(used).toBe(p.values.length);
  });

  it('are not in the default projection, and a get by id selects them too', () => {
    expect(plan('').statement).not.toContain('count(*)');
    const one = planRecords({
      catalog: CATALOG,
      resource: contacts,
      orgId: ORG,
      ids: [USER],
      req: { select: { fields: ['deal_count'], relations: [] }, deleted: 'exclude' },
    });
    expect(one.statement).toContain('as "deal_count"');
  });

  it('are selected, never filtered or ordered by, nor embedded', () => {
    for (const qs of ['deal_count=gt.0', 'order=deal_count.desc', 'or=(activity_count.eq.1,first_name.eq.x)', 'deal_count=not.eq.0']) {
      const e = thrown(() => plan(qs));
      expect(e.code, qs).toBe('invalid_query');
      expect(e.detail, qs).toMatch(/deal_count|activity_count/);
      expect(e.detail, qs).toMatch(/computed/);
    }
    const embedded = thrown(() =>
      planList({ catalog: CATALOG, resource: deals, req: parseQueryString(new URLSearchParams('select=id,contact(deal_count)')), orgId: ORG }),
    );
    expect(embedded.detail).toMatch(/computed on contacts' own rows/);
    // Names stay unique: a column's name, or one count under two names' one, is refused.
    expect(thrown(() => plan('select=id,id:deal_count')).code).toBe('invalid_query');
    expect(thrown(() => plan('select=n:deal_count,n:activity_count')).code).toBe('invalid_query');
  });

  it('count as an embed in the rows × embeds budget', () => {
    expect(() => plan('select=*,deal_count,activity_count,company(name),tags(name),owner(name),address(city),relationships(points)&limit=1000')).toThrow(
      /budget/,
    );
    expect(() => plan('select=*,deal_count,activity_count&limit=1000')).not.toThrow();
  });
});

describe('a list of one parent record’s rows', () => {
  it('has no row unless the parent is live and readable: one uncorrelated exists beside the tenant and access conditions', () => {
    const p = plan(`primary_company_id=eq.${COMPANY}`, { parent: { resource: companies, id: COMPANY }, access: ownOnly() });
    expect(p.fromWhere).toMatch(
      /exists \(select 1 from companies co where co\.org_id = \$1 and co\.id = \$(\d+)::uuid and co\.deleted_at is null and \(co\.owner_id = any\(\$\d+::uuid\[\]\)/,
    );
    const n = Number(/co\.id = \$(\d+)::uuid/.exec(p.fromWhere)?.[1]);
    expect(p.values[n - 1]).toBe(COMPANY);
    expect(p.statement).toContain('exists (select 1 from companies co');
  });
});

describe('Params.adopt', () => {
  it('numbers a fragment compiled on its own after the values taken, $1 staying the org', () => {
    const p = new Params(ORG);
    expect(p.add('x')).toBe('$2');
    expect(p.adopt('a = $1 and b = $2 and c = $3 and d = $12', [ORG, 'b', 'c', ...Array(8).fill(null), 'l'])).toBe('a = $1 and b = $3 and c = $4 and d = $13');
    expect(p.values).toEqual([ORG, 'x', 'b', 'c', ...Array(8).fill(null), 'l']);
    // The first fragment keeps its numbers.
    expect(new Params(ORG).adopt('a = $1 and b = $2', [ORG, 'b'])).toBe('a = $1 and b = $2');
    expect(() => new Params(ORG).adopt('a = $1', ['another org'])).toThrow(/another org/);
  });

  it('two list plans in one statement keep each value at its placeholder', () => {
    const p = new Params(ORG);
    const a = planList({
      catalog: CATALOG,
      resource: contacts,
      req: parseQueryString(new URLSearchParams('first_name=eq.Ann&last_name=eq.Lee')),
      orgId: ORG,
      access: ownOnly(),
    });
    const b = planList({ catalog: CATALOG, resource: deals, req: parseQueryString(new URLSearchParams('name=eq.Big')), orgId: ORG, access: ownOnly() });
    const sa = p.adopt(a.fromWhere, a.filterValues);
    const sb = p.adopt(b.fromWhere, b.filterValues);
    const valueAt = (sql: string, column: string) => p.values[Number(new RegExp(`${column} = \\$(\\d+)`).exec(sql)?.[1]) - 1];
    expect(valueAt(sa, 'c.first_name')).toBe('Ann');
    expect(valueAt(sa, 'c.last_name')).toBe('Lee');
    expect(valueAt(sb, 'd.name')).toBe('Big');
    expect(p.values.length).toBe(a.filterValues.length + b.filterValues.length - 1);
  });
});
