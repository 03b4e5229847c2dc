import { isolateCaches } from '../../cache/isolate';
import type { Db } from '../../db/client';
import type { Auth } from '../../core/auth';
import { AppError } from '../../core/errors';
import { boundedCount, countRows, type Count } from '../../query/count';
import { isoSql, orgPredicate, Params } from '../../query/params';
import { escapeLike } from '../../query/values';
import { CONTAINS_FILTERS, EXACT_FILTERS, MAX_OFFSET, ORDERING_FIELDS } from './fields';
import type { AppUsersQuery } from './parse';

export interface AppUser {
  id: string;
  first_name: string | null;
  last_name: string | null;
  gender: string | null;
  customer_id: string | null;
  phone_number: string | null;
  created: string;
  birthday: string | null;
  last_updated: string;
  address: { street: string | null; street_number: string | null; city_code: string | null; city: string | null; country: string | null } | null;
  relationships: Array<{ points: number; created: string; last_activity: string | null }>;
}

export interface AppUsersPage {
  count: Count;
  page: number;
  pages: number;
  results: AppUser[];
}

/** FROM … WHERE … for the filters; shared by the page query and the count. */
function compileWhere(q: AppUsersQuery, p: Params): string {
  const where = [orgPredicate('c'), 'c.deleted_at is null'];
  let needsAddress = false;
  for (const [key, value] of Object.entries(q.contains)) {
    const column = CONTAINS_FILTERS[key as keyof typeof CONTAINS_FILTERS];
    needsAddress ||= column.startsWith('a.');
    where.push(`${column} ilike ${p.add(`%${escapeLike(value!)}%`)}`);
  }
  for (const [key, value] of Object.entries(q.exact)) {
    where.push(`${EXACT_FILTERS[key as keyof typeof EXACT_FILTERS]} = ${p.add(value)}`);
  }
  if (q.birthday) where.push(`c.birthday = ${p.add(q.birthday)}::date`);
  const rel: string[] = [];
  if (q.pointsMin !== undefined) rel.push(`r.points >= ${p.add(q.pointsMin)}::int`);
  if (q.pointsMax !== undefined) rel.push(`r.points <= ${p.add(q.pointsMax)}::int`);
  if (q.lastActivityAfter) rel.push(`r.last_activity_at >= ${p.add(q.lastActivityAfter)}::timestamptz`);
  if (rel.length) {
    // One relationship row must satisfy all relationship conditions together.
    where.push(`exists (select 1 from customer_relationships r where ${orgPredicate('r')} and r.contact_id = c.id and ${rel.join(' and ')})`);
  }
  const join = needsAddress ? ` join addresses a on a.id = c.address_id and ${orgPredicate('a')}` : '';
  return `from contacts c${join} where ${where.join(' and ')}`;
}

function orderBy(q: AppUsersQuery, alias = 'c'): string {
  const dir = q.ordering.desc ? 'desc' : 'asc';
  const column = ORDERING_FIELDS[q.ordering.field].replace(/^c\./, `${alias}.`);
  return column === `${alias}.id` ? `${alias}.id ${dir}` : `${column} ${dir}, ${alias}.id ${dir}`;
}

/**
 * The page's contacts with their address and relationships in one statement: the inner
 * query picks the page by index order, the outer one joins and aggregates only those rows.
 */
function pageSql(fromWhere: string, q: AppUsersQuery, limit: string, offset: string): string {
  return `select p.id, p.first_name, p.last_name, p.gender, p.customer_id, p.phone as phone_number,
  ${isoSql('p.created_at')} as created, p.birthday::text as birthday, ${isoSql('p.updated_at')} as last_updated,
  case when ad.id is null then null else json_build_object('street', ad.street, 'street_number', ad.street_number,
    'city_code', ad.city_code, 'city', ad.city, 'country', ad.country) end as address,
  coalesce((select json_agg(json_build_object('points', r.points, 'created', ${isoSql('r.created_at')},
      'last_activity', ${isoSql('r.last_activity_at')}) order by r.created_at)
    from customer_relationships r where ${orgPredicate('r')} and r.contact_id = p.id), '[]'::json) as relationships
from (select c.* ${fromWhere} order by ${orderBy(q)} limit ${limit} offset ${offset}) p
left join addresses ad on ad.id = p.address_id and ${orgPredicate('ad')}
order by ${orderBy(q, 'p')}`;
}

/** The statements for one request, without running them (plan tests EXPLAIN these). */
export function compileAppUsers(orgId: string, query: AppUsersQuery, page: number): { fromWhere: string; filterValues: unknown[]; pageSql: string; values: unknown[] } {
  const p = new Params(orgId);
  const fromWhere = compileWhere(query, p);
  const filterValues = [...p.values];
  const limit = p.add(query.pageSize);
  const offset = p.add((page - 1) * query.pageSize);
  return { fromWhere, filterValues, pageSql: pageSql(fromWhere, query, limit, offset), values: p.values };
}

export async function listAppUsers({ db, auth, query, countLimit }: { db: Db; auth: Auth; query: AppUsersQuery; countLimit: number }): Promise<AppUsersPage> {
  const probe = compileAppUsers(auth.orgId, query, 1);
  const known = Number.isFinite(query.page);
  const counting = known ? countRows(db, isolateCaches().estimates, probe.fromWhere, probe.filterValues, countLimit) : countToLastPage(db, probe, query.pageSize);
  // A numbered page does not need the count to be fetched: both statements go out together
  // (one round trip on the wire client, which pipelines). Only `page=last` waits for the count.
  const fetching = known ? fetchPage(db, auth, query, query.page) : null;
  // Settle both before looking at either, so a failed count never leaves the page's rejection unheard.
  const [count, fetched] = await Promise.all([counting, fetching]);
  const pages = Math.max(1, Math.ceil(count.value / query.pageSize));
  const page = known ? query.page : pages;
  if ((page - 1) * query.pageSize > MAX_OFFSET) {
    throw new AppError('invalid_query', `Pages deeper than ${MAX_OFFSET} rows are not served by offset; page with a cursor on GET /v1/contacts instead.`);
  }
  // With an exact count the last page is known; with an estimate only an empty page proves it.
  if (count.method === 'exact' && page > pages) {
    throw new AppError('not_found', `Invalid page: page ${page} is past the last page (${pages}).`);
  }
  const rows = fetched ?? (await fetchPage(db, auth, query, page));
  if (!rows.length && page > 1) throw new AppError('not_found', `Invalid page: page ${page} has no results.`);
  // An estimate can undershoot; never claim fewer rows than this page proves exist.
  const seen = (page - 1) * query.pageSize + rows.length;
  const value = Math.max(count.value, seen);
  return { count: { ...count, value }, page, pages: Math.max(pages, Math.ceil(value / query.pageSize)), results: rows };
}

/**
 * `page=last` needs the real last page, which an estimate can put past the rows or short of
 * them: count exactly, as far as offset paging reaches. More than that is reported as an
 * estimate, and the deep-page error applies to it either way.
 */
async function countToLastPage(db: Db, probe: { fromWhere: string; filterValues: unknown[] }, pageSize: number): Promise<Count> {
  const reach = MAX_OFFSET + pageSize;
  const value = await boundedCount(db, probe.fromWhere, probe.filterValues, reach);
  return { value, method: value <= reach ? 'exact' : 'estimated' };
}

async function fetchPage(db: Db, auth: Auth, query: AppUsersQuery, page: number): Promise<AppUser[]> {
  const compiled = compileAppUsers(auth.orgId, query, page);
  return (await db.query<AppUser>(compiled.pageSql, compiled.values)).rows;
}
