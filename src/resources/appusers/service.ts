import { isolateCaches, type QueryCaches } from '../../cache/isolate';
import type { Auth } from '../../core/auth';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import type { Count } from '../../query/count';
import { type ListContext, type ListResult, listRows } from '../../query/execute';
import type { UserGrants } from '../../sharing/types';
import { contacts } from '../contacts/resource';
import { CATALOG } from '../registry';
import { GENDER_LABELS, MAX_OFFSET } from './fields';
import { type AppUsersQuery, invalidPage } from './parse';
import { appUsersRequest } from './request';

export interface AppUser {
  id: string;
  first_name: string | null;
  last_name: string | null;
  gender: (typeof GENDER_LABELS)[keyof typeof GENDER_LABELS] | null;
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

function tooDeep(): AppError {
  return new AppError('invalid_query', `Pages deeper than ${MAX_OFFSET} rows are not served by offset; page with a cursor on GET /v1/contacts instead.`, [
    { path: 'page', message: 'too deep for offset paging' },
  ]);
}

const pagesOf = (count: number, pageSize: number) => Math.max(1, Math.ceil(count / pageSize));

/** The count a list asked for (`count: 'estimated'`) answers. */
function countOf(result: ListResult): Count {
  if (!result.count) throw new Error('a counted list came back without its count');
  return result.count;
}

/** A row as the service renders it: the gender's choice label instead of the database's value. */
function render(row: Record<string, unknown>): AppUser {
  const gender = row.gender as keyof typeof GENDER_LABELS | null;
  return { ...row, gender: gender === null ? null : GENDER_LABELS[gender] } as AppUser;
}

/**
 * One page of app users: the contacts list compiled and run by the query layer (listRows), with
 * the page numbers, the count and the errors of DRF's PageNumberPagination around it. A numbered
 * page and its count go out together; `page=last` counts first (exactly, as far as offset
 * paging reaches), then reads that page.
 */
export async function listAppUsers({
  db,
  auth,
  query,
  countLimit,
  caches = isolateCaches(),
  access,
}: {
  db: Db;
  auth: Auth;
  query: AppUsersQuery;
  countLimit: number;
  caches?: QueryCaches;
  /** The caller's sharing grants: only the contacts they may read are listed and counted. */
  access?: UserGrants;
}): Promise<AppUsersPage> {
  const ctx: ListContext = { db, auth, catalog: CATALOG, caches, countLimit, maxOffset: MAX_OFFSET, access };
  const { pageSize } = query;
  // The count alone: no rows (limit 0), and the default order, which the count does not depend on.
  const countOnly = async (limit: number): Promise<Count> =>
    countOf(await listRows({ ...ctx, countLimit: limit }, contacts, { ...appUsersRequest(query, 1), order: [], limit: 0, offset: undefined }));
  let count: Count | undefined;
  let page: number;
  if (query.page === 'last') {
    count = await countOnly(MAX_OFFSET + pageSize);
    page = pagesOf(count.value, pageSize);
  } else {
    page = query.page;
  }
  if ((page - 1) * pageSize > MAX_OFFSET) {
    // Only an exact count proves a page is past the end (DRF's 404); otherwise it may exist, deeper than offsets go.
    count ??= await countOnly(countLimit);
    if (count.method === 'exact' && page > pagesOf(count.value, pageSize)) throw invalidPage();
    throw tooDeep();
  }
  const req = appUsersRequest(query, page);
  const result = await listRows(ctx, contacts, count ? { ...req, count: undefined } : req);
  count ??= countOf(result);
  // With an exact count the last page is known; with an estimate only an empty page proves it.
  if (count.method === 'exact' && page > pagesOf(count.value, pageSize)) throw invalidPage();
  if (!result.rows.length && page > 1) throw invalidPage();
  // An estimate can undershoot; never claim fewer rows than this page proves exist.
  const value = Math.max(count.value, (page - 1) * pageSize + result.rows.length);
  return { count: { ...count, value }, page, pages: pagesOf(value, pageSize), results: result.rows.map(render) };
}
