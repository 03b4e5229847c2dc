import { CONTAINS_FILTERS, EXACT_FILTERS, ORDERING_FIELDS } from '../../../src/resources/appusers/fields';
import { parseAppUsersQuery, type AppUsersQuery } from '../../../src/resources/appusers/parse';
import { listAppUsers } from '../../../src/resources/appusers/service';
import type { BaselineFactory } from '../context';
import { nodeDb } from '../node-db';
import { containsPattern, runNaiveList, unindexedContains, type NaiveList } from './naive';

function parse(search: string): AppUsersQuery {
  return parseAppUsersQuery(Object.fromEntries(new URLSearchParams(search)));
}

/**
 * The db floor: the API's own parse + service code against a Node connection, so the very
 * statements the Worker sends (count probe, maybe the planner estimate, the page) run here.
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

/** The same filters and order as the API, written the seed's way. */
function naiveQuery(q: AppUsersQuery, orgId: string): NaiveList {
  const values: unknown[] = [orgId];
  const where = ['c.org_id = $1', 'c.deleted_at is null'];
  const add = (v: unknown) => `$${values.push(v)}`;
  let joinAddress = false;
  for (const [key, value] of Object.entries(q.contains)) {
    const column = CONTAINS_FILTERS[key as keyof typeof CONTAINS_FILTERS];
    joinAddress ||= column.startsWith('a.');
    where.push(unindexedContains(column, add(containsPattern(value!))));
  }
  for (const [key, value] of Object.entries(q.exact)) where.push(`${EXACT_FILTERS[key as keyof typeof EXACT_FILTERS]} = ${add(value)}`);
  if (q.birthday) where.push(`c.birthday = ${add(q.birthday)}::date`);
  if (q.pointsMin !== undefined || q.pointsMax !== undefined || q.lastActivityAfter) {
    throw new Error('naive appusers: relationship filters are not modelled; add them in bench/lib/baselines/appusers.ts');
  }
  const dir = q.ordering.desc ? 'desc' : 'asc';
  const column = ORDERING_FIELDS[q.ordering.field];
  const orderBy = column === 'c.id' ? `c.id ${dir}` : `${column} ${dir}, c.id ${dir}`;
  const from = joinAddress ? 'contacts c join addresses a on a.id = c.address_id' : 'contacts c';
  const page = Number.isFinite(q.page) ? q.page : 1;
  return { from, where, values, orderBy, limit: q.pageSize, offset: (page - 1) * q.pageSize };
}

export function appUsersNaive(search: string): BaselineFactory {
  return async (ctx) => {
    const spec = naiveQuery(parse(search), ctx.auth.orgId);
    return () => runNaiveList(ctx.pg, spec);
  };
}
