import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import type { Filter, ListRequest } from '../../src/query/ast';
import { checkFilters } from '../../src/query/check';
import { compileFilter, isIndexFriendly } from '../../src/query/compile-filter';
import { Params } from '../../src/query/params';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { relationOrder } from '../../src/query/resource';
import { CATALOG } from '../../src/resources/registry';

// The `related` condition: some row of a relation's target satisfies all its items together,
// compiled to an `exists` semi-join (never a join, so to-many relations never repeat rows).
const ORG = '00000000-0000-4000-8000-000000000001';
const { contacts } = CATALOG;
const compile = (where: Filter[]) => {
  const p = new Params(ORG);
  const checked = checkFilters(contacts, where, { catalog: CATALOG });
  return { sql: checked.map((f) => compileFilter(contacts, f, p)).join(' and '), values: p.values, checked };
};
const req = (where: Filter[]): ListRequest => ({ where, order: [], limit: 10, search: 'auto', deleted: 'exclude' });

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('related conditions', () => {
  it('to-many: one related row satisfies every item, linked by its foreign key, inside the org', () => {
    const { sql, values } = compile([
      {
        kind: 'related',
        relation: 'relationships',
        items: [
          { kind: 'cond', field: 'points', op: 'gte', value: '10' },
          { kind: 'cond', field: 'last_activity_at', op: 'gte', value: '2025-01-01' },
        ],
      },
    ]);
    expect(sql).toBe(
      '(exists (select 1 from customer_relationships cr where cr.org_id = $1 and cr.contact_id = c.id and (cr.points >= $2::int) and (cr.last_activity_at >= $3::timestamptz)))',
    );
    expect(values).toEqual([ORG, 10, '2025-01-01']);
  });

  it('to-one: linked by the local key; a soft-deleting target is read live only; negation wraps the whole semi-join', () => {
    expect(compile([{ kind: 'related', relation: 'address', items: [{ kind: 'cond', field: 'city', op: 'contains', value: 'ber' }] }]).sql).toBe(
      '(exists (select 1 from addresses ad where ad.org_id = $1 and ad.id = c.address_id and (ad.city ilike $2)))',
    );
    expect(compile([{ kind: 'related', relation: 'company', not: true, items: [{ kind: 'cond', field: 'name', op: 'eq', value: 'Acme' }] }]).sql).toBe(
      'not (exists (select 1 from companies co where co.org_id = $1 and co.id = c.primary_company_id and co.deleted_at is null and (co.name = $2::text)))',
    );
  });

  it('many-to-many through a link table', () => {
    expect(compile([{ kind: 'related', relation: 'tags', items: [{ kind: 'cond', field: 'name', op: 'eq', value: 'vip' }] }]).sql).toBe(
      '(exists (select 1 from contact_tags tg_link join tags tg on tg.id = tg_link.tag_id where tg_link.org_id = $1 and tg_link.entity_id = c.id and tg.org_id = $1 and (tg.name = $2::text)))',
    );
  });

  it("checks items against the target's whitelist, and the relation against the resource's", () => {
    expect(
      thrown(() => compile([{ kind: 'related', relation: 'relationships', items: [{ kind: 'cond', field: 'first_name', op: 'eq', value: 'x' }] }])).code,
    ).toBe('unknown_field');
    expect(thrown(() => compile([{ kind: 'related', relation: 'nope', items: [{ kind: 'cond', field: 'x', op: 'eq', value: 'x' }] }])).message).toContain(
      'is not a relation of contacts',
    );
    expect(
      thrown(() => compile([{ kind: 'related', relation: 'relationships', items: [{ kind: 'cond', field: 'points', op: 'ilike', value: 'x' }] }])).code,
    ).toBe('unsupported_operator');
    expect(
      thrown(() => compile([{ kind: 'related', relation: 'relationships', items: [{ kind: 'cond', field: 'points', op: 'gte', value: 'many' }] }])).code,
    ).toBe('invalid_query');
    expect(thrown(() => compile([{ kind: 'related', relation: 'relationships', items: [] }])).message).toContain('empty related group');
  });

  it("qualifies item names by the relation, so they never pass for the resource's own fields", () => {
    const { checked } = compile([{ kind: 'related', relation: 'address', items: [{ kind: 'cond', field: 'city', op: 'contains', value: 'x' }] }]);
    expect(checked).toMatchObject([{ kind: 'related', items: [{ kind: 'cond', name: 'address.city' }] }]);
  });

  it('an empty range among the items is a constant false (no subquery)', () => {
    const plan = planList({
      catalog: CATALOG,
      resource: contacts,
      orgId: ORG,
      req: req([
        {
          kind: 'related',
          relation: 'relationships',
          items: [
            { kind: 'cond', field: 'points', op: 'gte', value: '100' },
            { kind: 'cond', field: 'points', op: 'lte', value: '50' },
          ],
        },
      ]),
    });
    expect(plan.fromWhere).toMatch(/ and \(false\)$/);
  });

  it('is index-friendly when its items are on the target (an indexed foreign key links them)', () => {
    const friendly = (where: Filter[]) => isIndexFriendly(checkFilters(contacts, where, { catalog: CATALOG }));
    expect(friendly([{ kind: 'related', relation: 'address', items: [{ kind: 'cond', field: 'city', op: 'contains', value: 'ber' }] }])).toBe(true);
    expect(friendly([{ kind: 'related', relation: 'relationships', items: [{ kind: 'cond', field: 'points', op: 'gte', value: '1' }] }])).toBe(true);
    expect(friendly([{ kind: 'related', relation: 'address', items: [{ kind: 'cond', field: 'postal_code', op: 'contains', value: '10' }] }])).toBe(false);
    expect(friendly([{ kind: 'related', relation: 'address', not: true, items: [{ kind: 'cond', field: 'city', op: 'contains', value: 'ber' }] }])).toBe(false);
  });

  it('the query-string dialect does not expose it: an embedded-relation parameter stays a 400', () => {
    expect(() => parseQueryString(new URLSearchParams('relationships.points=gte.10'))).toThrow(AppError);
  });
});

describe('relation order', () => {
  it('takes a direction: `-column` is descending', () => {
    expect(relationOrder(contacts.relations.relationships)).toEqual({ column: 'created_at', dir: 'desc' });
    expect(relationOrder(contacts.relations.tags)).toEqual({ column: 'name', dir: 'asc' });
    expect(relationOrder({ kind: 'many', target: 'x', foreignKey: 'y' })).toEqual({ column: 'id', dir: 'asc' });
  });

  it('every declared relation orders by a column of its target', () => {
    const many = Object.values(CATALOG).flatMap((r) =>
      Object.entries(r.relations)
        .filter(([, rel]) => rel.kind === 'many')
        .map(([name, rel]) => ({ name: `${r.name}.${name}`, rel })),
    );
    expect(many.map((m) => m.name)).toContain('contacts.relationships');
    for (const { name, rel } of many) {
      const columns = Object.values(CATALOG[rel.target].fields).map((f) => f.column);
      expect(columns, name).toContain(relationOrder(rel).column);
    }
  });
});
