import { ADDRESS_CONTAINS, CONTACT_CONTAINS, ORDERING_FIELDS } from '../../../src/resources/appusers/fields';
import { type AppUsersQuery, parseAppUsersQuery } from '../../../src/resources/appusers/parse';
import { listAppUsers } from '../../../src/resources/appusers/service';
import type { BaselineFactory } from '../context';
import { nodeDb } from '../node-db';
import { containsPattern, type NaiveList, runNaiveList, unindexedContains } from './naive';

function parse(search: string): AppUsersQuery {
  return parseAppUsersQuery(Object.fromEntries(new URLSearchParams(search)));
}

/**
 * The db floor: the API's own parse + service code (which plans and runs through the query
 * layer's listRows, as the route does) against a Node connection, so the very statements the
 * Worker sends (the page, and beside it the count: the planner's estimate, then a sampled or
 * bounded count unless the isolate's estimate cache has it) run here.
 */
export function appUsersFloor(search: string): BaselineFactory {
  return async (ctx) => {
    const query = parse(search);
    return async () => {
      const db = nodeDb(ctx.pg);
      await listAppUsers({ db, auth: ctx.auth, query, countLimit: ctx.countLimit });
      return db.log.length;
    };
  };
}

/** The same filters and order as the API, written the seed's way (joins, no trigram index). */
function naiveQuery(q: AppUsersQuery, orgId: string): NaiveList {
  const values: unknown[] = [orgId];
  const where = ['c.org_id = $1', 'c.deleted_at is null'];
  const add = (v: unknown) => `$${values.push(v)}`;
  const f = q.filters;
  for (const [param, column] of Object.entries(CONTACT_CONTAINS)) {
    const v = f[param as keyof typeof CONTACT_CONTAINS];
    if (v) where.push(unindexedContains(`c.${column}`, add(containsPattern(v))));
  }
  let joinAddress = false;
  for (const [param, column] of Object.entries(ADDRESS_CONTAINS)) {
    const v = f[param as keyof typeof ADDRESS_CONTAINS];
    if (v) {
      joinAddress = true;
      where.push(unindexedContains(`a.${column}`, add(containsPattern(v))));
    }
  }
  if (f.gender !== undefined) where.push(f.gender === null ? 'false' : `c.gender = ${add(f.gender)}`);
  if (f.customer_id) where.push(`c.customer_id = ${add(f.customer_id)}`);
  if (f.birthday) where.push(`c.birthday = ${add(f.birthday)}::date`);
  if (f.points_min !== undefined || f.points_max !== undefined || f.last_activity_after) {
    throw new Error('naive appusers: relationship filters are not modelled; add them in bench/lib/baselines/appusers.ts');
  }
  const keys = q.ordering.map((o) => `c.${ORDERING_FIELDS[o.field]} ${o.desc ? 'desc' : 'asc'}`);
  const last = q.ordering[q.ordering.length - 1];
  const orderBy = q.ordering.some((o) => o.field === 'id') ? keys.join(', ') : [...keys, `c.id ${last.desc ? 'desc' : 'asc'}`].join(', ');
  const from = joinAddress ? 'contacts c join addresses a on a.id = c.address_id' : 'contacts c';
  const page = q.page === 'last' ? 1 : q.page;
  return { from, where, values, orderBy, limit: q.pageSize, offset: (page - 1) * q.pageSize };
}

export function appUsersNaive(search: string): BaselineFactory {
  return async (ctx) => {
    const spec = naiveQuery(parse(search), ctx.auth.orgId);
    return () => runNaiveList(ctx.pg, spec);
  };
}
