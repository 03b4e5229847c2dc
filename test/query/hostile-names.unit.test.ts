import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode, fromDatabaseError, sqlStateOf } from '../../src/core/errors';
import type { ListRequest } from '../../src/query/ast';
import { parseQueryBody } from '../../src/query/parse-json';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planGet, planList } from '../../src/query/plan';
import type { ResourceDef } from '../../src/query/resource';
import { parseAppUsersQuery } from '../../src/resources/appusers/parse';
import { negotiate } from '../../src/resources/postgrest';
import { CATALOG } from '../../src/resources/registry';

// Issue 21: a name a client sends selects a field, an operator, a relation, a compound, an order
// key, a mode, a media type or a table by own property only. Names every JavaScript object
// answers to (`constructor`, `__proto__`, `toString`, …) are unknown names like any other: the
// usual 400 with its code, never a TypeError from reading through the prototype (a 500).
const HOSTILE = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'constructor', 'prototype'])];

const ORG = '00000000-0000-4000-8000-000000000001';
const { contacts, companies, leads } = CATALOG;
/** Resources with a compound field (contacts, leads: `name`) and one without (companies). */
const SAMPLE: ResourceDef[] = [contacts, leads, companies];

/** The error a pure stage throws; a non-AppError (a TypeError: the old 500) fails the test. */
function failure(run: () => unknown): AppError {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(AppError);
  return thrown as AppError;
}

/** Parse and plan a query string as GET /v1/{resource} does (no I/O). */
const planQuery = (resource: ResourceDef, params: URLSearchParams) => planList({ catalog: CATALOG, resource, req: parseQueryString(params), orgId: ORG });
const planBody = (resource: ResourceDef, body: unknown) => planList({ catalog: CATALOG, resource, req: parseQueryBody(body), orgId: ORG });
const qs = (pairs: Array<[string, string]>) => new URLSearchParams(pairs);

function expectRefused(err: AppError, code: ErrorCode, path?: string) {
  expect(err.code).toBe(code);
  expect(err.status).toBe(400);
  if (path !== undefined) expect(err.errors?.[0]?.path).toBe(path);
}

describe('hostile names: every JavaScript built-in property name', () => {
  it('covers the names the probe used', () => {
    expect(HOSTILE).toEqual(expect.arrayContaining(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype']));
  });

  describe.each(HOSTILE)('%s', (name) => {
    it.each(SAMPLE.map((r) => [r.name, r] as const))('as a filtered field on %s → unknown_field', (_, resource) => {
      expectRefused(
        failure(() => planQuery(resource, qs([[name, 'eq.1']]))),
        'unknown_field',
        name,
      );
      expectRefused(
        failure(() => planQuery(resource, qs([[name, 'ilike.*a*']]))),
        'unknown_field',
        name,
      );
      expectRefused(
        failure(() => planQuery(resource, qs([[name, 'not.in.(1,2)']]))),
        'unknown_field',
        name,
      );
    });

    it.each(SAMPLE.map((r) => [r.name, r] as const))('as a field inside or=(…) and and=(…) on %s → unknown_field', (_, resource) => {
      expectRefused(
        failure(() => planQuery(resource, qs([['or', `(${name}.eq.1,id.is.null)`]]))),
        'unknown_field',
        'where.or[0]',
      );
      expectRefused(
        failure(() => planQuery(resource, qs([['and', `(id.is.null,or(${name}.eq.1))`]]))),
        'unknown_field',
        'where.and[1].or[0]',
      );
      expectRefused(
        failure(() => planQuery(resource, qs([['not.or', `(${name}.is.null)`]]))),
        'unknown_field',
        'where.or[0]',
      );
    });

    it('as an operator → unsupported_operator', () => {
      for (const value of [`${name}.1`, `not.${name}.1`, `${name}(any).{1}`]) {
        expectRefused(
          failure(() => planQuery(contacts, qs([['first_name', value]]))),
          'unsupported_operator',
          'first_name',
        );
      }
      expectRefused(
        failure(() => planQuery(contacts, qs([['or', `(first_name.${name}.1)`]]))),
        'unsupported_operator',
        'or[0]',
      );
    });

    it('as a relation, a column or a relation column in select → unknown_field', () => {
      for (const resource of SAMPLE) {
        expectRefused(
          failure(() => planQuery(resource, qs([['select', `id,${name}(id)`]]))),
          'unknown_field',
          `select.${name}`,
        );
        expectRefused(
          failure(() => planQuery(resource, qs([['select', `id,${name}`]]))),
          'unknown_field',
          'select',
        );
        expectRefused(
          failure(() => planGet({ catalog: CATALOG, resource, orgId: ORG, id: ORG, req: { select: { fields: [name], relations: [] }, deleted: 'exclude' } })),
          'unknown_field',
          'select',
        );
      }
      expectRefused(
        failure(() => planQuery(contacts, qs([['select', `id,company(${name})`]]))),
        'unknown_field',
        'select.company[0]',
      );
    });

    it('as an order field → unknown_field', () => {
      for (const resource of SAMPLE) {
        expectRefused(
          failure(() => planQuery(resource, qs([['order', `${name}.asc`]]))),
          'unknown_field',
          'order[0]',
        );
        expectRefused(
          failure(() => planBody(resource, { orderBy: [{ field: name }] })),
          'unknown_field',
          'order[0]',
        );
      }
    });

    it('as a compound on the resources that declare compounds → unknown_field, and `name` still expands', () => {
      for (const resource of [contacts, leads]) {
        expect(Object.hasOwn(resource.compound ?? {}, 'name')).toBe(true);
        expectRefused(
          failure(() => planQuery(resource, qs([[name, 'ilike.*an*']]))),
          'unknown_field',
          name,
        );
        expect(planQuery(resource, qs([['name', 'ilike.*an*']])).statement).toMatch(/first_name ilike .* or .*last_name ilike/);
      }
    });

    it('in a JSON body where, nested or not, and as its operator', () => {
      for (const resource of SAMPLE) {
        const cond = { field: name, operator: 'equals', value: '1' };
        expectRefused(
          failure(() => planBody(resource, { where: cond })),
          'unknown_field',
          name,
        );
        expectRefused(
          failure(() => planBody(resource, { where: { and: [{ field: 'id', operator: 'isEmpty' }, { or: [{ not: cond }] }] } })),
          'unknown_field',
          'where.and[1].or[0]',
        );
        expectRefused(
          failure(() => planBody(resource, { where: { field: name, operator: 'isEmpty' } })),
          'unknown_field',
          name,
        );
      }
      // The JSON form's operators are a closed list checked with the body (an unknown one is the body's fault).
      expectRefused(
        failure(() => planBody(contacts, { where: { field: 'first_name', operator: name, value: '1' } })),
        'invalid_body',
      );
    });

    it('as a JSON body key → invalid_body', () => {
      expectRefused(
        failure(() => parseQueryBody(JSON.parse(`{"${name}": 1}`))),
        'invalid_body',
      );
      expectRefused(
        failure(() => parseQueryBody(JSON.parse(`{"where": {"${name}": []}}`))),
        'invalid_body',
      );
    });

    it('as a search mode, count, deleted mode, is value or text search configuration → invalid_query', () => {
      for (const [key, value] of [
        ['search_mode', name],
        ['count', name],
        ['deleted', name],
        ['birthday', `is.${name}`],
      ]) {
        expectRefused(
          failure(() => planQuery(contacts, qs([[key, value]]))),
          'invalid_query',
          key,
        );
      }
      // fts(config) takes lowercase names only; anything else is not an fts operator at all.
      const fts = failure(() => planQuery(contacts, qs([['search', `fts(${name}).word`]])));
      expectRefused(fts, /^[a-z_]+$/.test(name) ? 'invalid_query' : 'unsupported_operator', 'search');
    });

    it('as an Accept media type (/rest/v1) → no representation (406)', () => {
      expect(negotiate(name)).toBeNull();
      expect(negotiate(`${name}, ${name};q=0.9`)).toBeNull();
      expect(negotiate(`${name}, text/csv;q=0.5`)).toBe('csv');
    });

    it('in the appusers parameters → ignored as unknown, as the service does', () => {
      const q = parseAppUsersQuery({ ordering: `${name},-${name}`, gender: name, [name]: 'x' });
      expect(q.ordering).toEqual([{ field: 'created', desc: true }]);
      // A gender that is none of the choices matches nothing (the service's exact match).
      expect(q.filters).toEqual({ gender: null });
      expect(parseAppUsersQuery({ ordering: `${name},last_name` }).ordering).toEqual([{ field: 'last_name', desc: false }]);
    });

    it('as a SQLSTATE → not a mapped database error', () => {
      expect(fromDatabaseError({ code: name })).toBeNull();
    });
  });
});

describe('hostile names: the requests the probe sent', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('GET /v1/contacts?%s=eq.1 → unknown_field', (name) => {
    const req: ListRequest = parseQueryString(new URLSearchParams(`${name}=eq.1`));
    expectRefused(
      failure(() => planList({ catalog: CATALOG, resource: contacts, req, orgId: ORG })),
      'unknown_field',
      name,
    );
  });
});

describe('database errors a value causes (the fallback behind the checks before SQL)', () => {
  // SQLSTATE class 22, data exception: values reach SQL only as bound parameters, so a value is
  // the cause. The query layer refuses what it can before SQL, by path; this maps the rest.
  it.each(['2201B', '22025', '22009', '22023', '22001'])('%s → 400 invalid_query, keeping its SQLSTATE as the cause', (state) => {
    const mapped = fromDatabaseError({ code: state, message: 'invalid regular expression: parentheses () not balanced' });
    expect(mapped).toBeInstanceOf(AppError);
    expect({ code: mapped?.code, status: mapped?.status }).toEqual({ code: 'invalid_query', status: 400 });
    expect(mapped?.detail).not.toMatch(/regular expression|parentheses/);
    expect(sqlStateOf(mapped)).toBe(state);
  });

  it('leaves a syntax error (42601) unmapped: outside an fts filter it is a bug of ours, a 500', () => {
    expect(fromDatabaseError({ code: '42601' })).toBeNull();
    expect(sqlStateOf({ code: '42601' })).toBe('42601');
    expect(sqlStateOf(new AppError('invalid_query', 'not from the database'))).toBeUndefined();
  });
});
