import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import { planList } from '../../src/query/plan';
import { MAX_OFFSET } from '../../src/resources/appusers/fields';
import { parseAppUsersQuery } from '../../src/resources/appusers/parse';
import { appUsersRequest, appUsersWhere } from '../../src/resources/appusers/request';
import { CATALOG } from '../../src/resources/registry';

// The service's parameter rules (DRF 3.16 + Django 5.2), without a database: parse → the list
// dialect's AST → the one compiler's plan.
const parse = (qs: string) => parseAppUsersQuery(Object.fromEntries(new URLSearchParams(qs)));
const ORG = '00000000-0000-4000-8000-000000000001';
const plan = (qs: string, page = 1) =>
  planList({ catalog: CATALOG, resource: CATALOG.contacts, req: appUsersRequest(parse(qs), page), orgId: ORG, maxOffset: MAX_OFFSET });

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('appusers parameters', () => {
  it('ordering: every comma-separated field in turn, unknown ones dropped, -created when none is left (DRF OrderingFilter)', () => {
    expect(parse('ordering=last_name,-first_name').ordering).toEqual([
      { field: 'last_name', desc: false },
      { field: 'first_name', desc: true },
    ]);
    expect(parse('ordering= gender , -created').ordering).toEqual([
      { field: 'gender', desc: false },
      { field: 'created', desc: true },
    ]);
    expect(parse('ordering=-password,city,last_name,address').ordering).toEqual([{ field: 'last_name', desc: false }]);
    for (const none of ['', 'ordering=', 'ordering=-password', 'ordering=--created', 'ordering=%2Bcreated', 'ordering=address__city']) {
      expect(parse(none).ordering, none).toEqual([{ field: 'created', desc: true }]);
    }
    // A field again cannot change the order; nothing after the unique id can.
    expect(parse('ordering=last_name,-last_name,id,first_name').ordering).toEqual([
      { field: 'last_name', desc: false },
      { field: 'id', desc: false },
    ]);
  });

  it('ordering compiles to the contacts fields in order, the id tie-breaker last in the last direction', () => {
    expect(plan('ordering=gender,-created').keys.map((k) => `${k.name} ${k.dir}`)).toEqual(['gender asc', 'created_at desc', 'id desc']);
    expect(plan('ordering=-last_updated,phone_number').keys.map((k) => `${k.name} ${k.dir}`)).toEqual(['updated_at desc', 'phone asc', 'id asc']);
    expect(plan('').keys.map((k) => `${k.name} ${k.dir}`)).toEqual(['created_at desc', 'id desc']);
  });

  it('page: absent or empty is 1, "last" is last, anything else not an integer ≥ 1 is a 404 "Invalid page."', () => {
    expect(parse('').page).toBe(1);
    expect(parse('page=').page).toBe(1);
    expect(parse('page=last').page).toBe('last');
    expect(parse('page=%203%20').page).toBe(3);
    expect(parse('page=%2B2').page).toBe(2);
    for (const bad of ['0', '-1', 'abc', '1.5', '1e3', 'LAST', '%20', '0x10']) {
      const e = thrown(() => parse(`page=${bad}`));
      expect(e.code, bad).toBe('not_found');
      expect(e.message, bad).toBe('Invalid page.');
    }
  });

  it('page_size: DRF _positive_int (malformed or < 1 → 20, capped at 1000)', () => {
    expect(parse('page_size=50').pageSize).toBe(50);
    expect(parse('page_size=99999999999').pageSize).toBe(1000);
    for (const v of ['abc', '0', '-5', '', '2.5']) expect(parse(`page_size=${v}`).pageSize, v).toBe(20);
  });

  it('gender: the model\'s labels without regard to case, and "unknown"; any other value matches nothing', () => {
    expect(parse('gender=Prefer%20not%20to%20say').filters.gender).toBe('unknown');
    expect(parse('gender=prefer%20not%20to%20say').filters.gender).toBe('unknown');
    expect(parse('gender=unknown').filters.gender).toBe('unknown');
    expect(parse('gender=Female').filters.gender).toBe('female');
    expect(parse('gender=MALE').filters.gender).toBe('male');
    expect(parse('gender=%20Other%20').filters.gender).toBe('other');
    expect(parse('gender=robot').filters.gender).toBeNull();
    expect(parse('gender=').filters).not.toHaveProperty('gender');
    expect(appUsersWhere({ gender: null })).toEqual([{ kind: 'cond', field: 'gender', op: 'in', value: [] }]);
  });

  it('dates as strptime("%Y-%m-%d") reads them; malformed dates and numbers are ignored', () => {
    expect(parse('birthday=1985-3-4').filters.birthday).toBe('1985-03-04');
    expect(parse('last_activity_after=2025-1-31').filters.last_activity_after).toBe('2025-01-31T00:00:00Z');
    expect(parse('last_activity_after=2025-01-31T10:00:00Z').filters.last_activity_after).toBe('2025-01-31T10:00:00Z');
    expect(parse('points_min=%2B12&points_max=-3').filters).toEqual({ points_min: 12, points_max: -3 });
    expect(parse('birthday=1985-02-30&last_activity_after=soon&points_min=1e3&points_max=ten').filters).toEqual({});
  });

  it('points beyond the int column match as the service does: nothing above it, everything below it', () => {
    expect(appUsersWhere({ points_min: 5_000_000_000, points_max: -5_000_000_000 })).toEqual([
      {
        kind: 'related',
        relation: 'relationships',
        items: [
          { kind: 'cond', field: 'points', op: 'gt', value: 2_147_483_647 },
          { kind: 'cond', field: 'points', op: 'lt', value: -2_147_483_648 },
        ],
      },
    ]);
    expect(appUsersWhere({ points_min: -5_000_000_000 })).toEqual([
      { kind: 'related', relation: 'relationships', items: [{ kind: 'cond', field: 'points', op: 'gte', value: -2_147_483_648 }] },
    ]);
  });

  it('address filters are one related condition, relationship filters another, contact filters plain conditions', () => {
    expect(appUsersWhere(parse('first_name=an&city=ber&country=ger&points_min=10&last_activity_after=2025-01-01&customer_id=C-1').filters)).toEqual([
      { kind: 'cond', field: 'first_name', op: 'contains', value: 'an' },
      { kind: 'cond', field: 'customer_id', op: 'eq', value: 'C-1' },
      {
        kind: 'related',
        relation: 'address',
        items: [
          { kind: 'cond', field: 'city', op: 'contains', value: 'ber' },
          { kind: 'cond', field: 'country', op: 'contains', value: 'ger' },
        ],
      },
      {
        kind: 'related',
        relation: 'relationships',
        items: [
          { kind: 'cond', field: 'points', op: 'gte', value: 10 },
          { kind: 'cond', field: 'last_activity_at', op: 'gte', value: '2025-01-01T00:00:00Z' },
        ],
      },
    ]);
  });

  it('compiles through the one compiler: semi-joins for related records, the Django names as aliases, relationships newest first', () => {
    const p = plan('city=ber&points_min=100&points_max=50');
    expect(p.fromWhere).toContain('exists (select 1 from addresses ad where ad.org_id = $1 and ad.id = c.address_id and (ad.city ilike $2))');
    // points ≥ 100 and ≤ 50 together: no relationship can match, so no subquery either.
    expect(p.fromWhere).toMatch(/ and \(false\)$/);
    expect(p.statement).toContain('as "phone_number"');
    expect(p.statement).toContain('as "last_updated"');
    expect(p.statement).toContain("'last_activity', ");
    expect(p.statement).toMatch(/from customer_relationships rel1 where rel1\.contact_id = c\.id and rel1\.org_id = \$1\s+order by rel1\.created_at desc/);
    expect(plan('points_min=100').fromWhere).toContain(
      'exists (select 1 from customer_relationships cr where cr.org_id = $1 and cr.contact_id = c.id and (cr.points >= $2::int))',
    );
  });

  it('offsets: up to its own bound (100,000 rows) for appusers, while /v1 keeps LIMITS.maxOffset', () => {
    expect(plan('page_size=20', 5001).statement).toMatch(/offset \$\d+/);
    const v1 = thrown(() => planList({ catalog: CATALOG, resource: CATALOG.contacts, req: appUsersRequest(parse('page_size=20'), 5001), orgId: ORG }));
    expect(v1.message).toContain('offset is limited to 10000');
  });
});
