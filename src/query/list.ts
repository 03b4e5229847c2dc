import type { Db } from '../db/client';
import type { Auth } from '../http/auth';
import { AppError } from '../http/errors';
import { LIMITS, type ListRequest } from './ast';
import { checkFilters } from './check';
import { valueWalk, valueWalkPage, type Where } from './value-walk';
import { compileFilter, isIndexFriendly } from './compile-filter';
import { countRows, type Count, plannedRows } from './count';
import { guardCost } from './cost';
import { decodeCursor, encodeCursor, peekCursorMode, shapeHash } from './cursor';
import { keysetSql, type OrderKey, orderSql, resolveOrder } from './order';
import { orgPredicate, Params } from './params';
import type { ResourceDef } from './resource';
import { FUZZY_FALLBACK_REASON, planSearch, SEARCH_CANDIDATES, type SearchPlan } from './search';
import { isEmptyRange } from './empty-range';
import { neededColumns, relationSql, renderSql, resolveProjection } from './select';

export interface ListResult {
  rows: Record<string, unknown>[];
  page: { limit: number; nextCursor: string | null; hasMore: boolean; offset?: number };
  count?: Count;
  search?: { mode: SearchPlan['mode']; reason: string; ranked: boolean; candidates?: number };
}

export interface ListContext {
  db: Db;
  auth: Auth;
  /** HMAC secret for cursors. */
  secret: string;
  /** `estimated` counts exactly up to this many rows. */
  countLimit: number;
}

function baseWhere(resource: ResourceDef, req: ListRequest, p: Params, search: SearchPlan | undefined): Where {
  const a = resource.alias;
  const base = [orgPredicate(a)];
  if (resource.softDelete) {
    if (req.deleted === 'exclude') base.push(`${a}.deleted_at is null`);
    if (req.deleted === 'only') base.push(`${a}.deleted_at is not null`);
  } else if (req.deleted !== 'exclude') {
    throw new AppError('invalid_query', `deleted: ${resource.name} are not soft-deleted.`, [{ path: 'deleted', message: 'not soft-deletable' }]);
  }
  const checked = checkFilters(resource, req.where);
  // A range with nothing in it: no row can match, and Postgres would search for one anyway.
  if (isEmptyRange(checked)) base.push('false');
  const filters = checked.map((f) => ({ checked: f, sql: compileFilter(resource, f, p) }));
  return { base, filters, ...(search ? { search: `(${search.where})` } : {}), indexFriendly: isIndexFriendly(resource, checked) };
}

const allOf = (w: Where): string[] => [...w.base, ...w.filters.map((f) => f.sql), ...(w.search ? [w.search] : [])];

function rankedKeys(resource: ResourceDef): OrderKey[] {
  const a = resource.alias;
  return [
    { name: '__rank', expr: `${a}.__rank`, type: 'float4', dir: 'desc', nulls: 'first', nullable: false },
    { name: 'id', expr: `${a}.id`, type: 'uuid', dir: 'asc', nulls: 'last', nullable: false },
  ];
}

/** A compiled list: the page statement, the count's FROM/WHERE, and what execution needs. */
export interface ListPlan {
  statement: string;
  values: unknown[];
  /** `from … where …` without cursor/limit, and the values it uses ($1…$n), for counts. */
  fromWhere: string;
  filterValues: unknown[];
  keys: OrderKey[];
  shape: string;
  indexFriendly: boolean;
  search?: SearchPlan;
  ranked: boolean;
}

function checkPaging(req: ListRequest): void {
  if (req.cursor && req.offset !== undefined) throw new AppError('invalid_query', 'Use either cursor or offset, not both.', [{ path: 'offset', message: 'conflicts with cursor' }]);
  if ((req.offset ?? 0) > LIMITS.maxOffset) {
    throw new AppError('invalid_query', `offset is limited to ${LIMITS.maxOffset}; page deeper with cursor (page.nextCursor) — it costs the same at any depth.`, [{ path: 'offset', message: 'too deep; use cursor' }]);
  }
}

/**
 * Compiles a list request to one parameterised statement (pure: no I/O but the cursor check).
 * The page subquery reads only the page through the order's index; relations are embedded by
 * scalar subqueries over those rows only; the tenant predicate is always the first conjunct.
 */
export async function planList(ctx: Pick<ListContext, 'auth' | 'secret'>, resource: ResourceDef, req: ListRequest & { fallback?: boolean }): Promise<ListPlan> {
  checkPaging(req);
  const a = resource.alias;
  const p = new Params(ctx.auth.orgId);
  const search = req.q !== undefined ? planSearch(resource, req.q, req.search, p) : undefined;
  if (search && req.search === 'fuzzy' && req.fallback) search.reason = FUZZY_FALLBACK_REASON;
  const ranked = !!search && search.mode !== 'prefix' && !req.order.length;
  const w = baseWhere(resource, req, p, search);
  const where = allOf(w);
  const filterValues = [...p.values];
  const keys = ranked ? rankedKeys(resource) : resolveOrder(resource, req.order);
  const projection = resolveProjection(resource, req.select);
  const shape = await shapeHash([resource.name, ctx.auth.orgId, ctx.auth.userId, req.where, keys.map((k) => [k.name, k.dir, k.nulls]), req.q ?? null, search?.mode ?? null, req.deleted]);
  const keyset = req.cursor ? keysetSql(keys, (await decodeCursor(ctx.secret, req.cursor, shape, keys.length)).k, p) : undefined;

  // Ranked candidates are taken in the default order, so its columns travel too. They carry
  // only keys (id, default order, rank): a walk of the recency index can then be index-only
  // where the index includes the searched text, and the page's columns are read for its rows
  // alone, by primary key, in the outer join.
  const defaultKeys = resolveOrder(resource, []);
  const orderCols = [...keys, ...(ranked ? defaultKeys : [])].filter((k) => k.name !== '__rank').map((k) => resource.fields[k.name].column);
  const cols = (ranked ? [...new Set(['id', ...orderCols])] : neededColumns(resource, projection, orderCols)).map((c) => `${a}.${c}`).join(', ');
  const limitParam = p.add(req.limit + 1);
  const from = `from ${resource.table} ${a}`;
  let inner: string;
  const walk = ranked ? undefined : valueWalk(resource, w, keys, req.deleted === 'exclude');
  const plain = (extra: string[]) => `select ${cols} ${from} where ${[...where, ...extra].join(' and ')} order by ${orderSql(keys)} limit ${limitParam}`;
  const offsetParam = req.offset ? p.add(req.offset) : undefined; // never with a cursor (checkPaging)
  // A walked page with an offset must walk past the rows it skips.
  const walkLimit = offsetParam ? `(${limitParam}::int + ${offsetParam}::int)` : limitParam;
  const page = (extra?: string) => {
    const cursor = extra ? [`(${extra})`] : [];
    return walk ? valueWalkPage(walk, { resource, w, keys, cols, limit: walkLimit }, cursor) : plain(cursor);
  };
  if (ranked) {
    // Candidates are the most recent matches in the default order: the planner can then walk
    // that index for common terms (stopping at the cap) or use the text index for rare ones.
    const candidateOrder = orderSql(defaultKeys);
    const matches = `select ${cols}, (${search!.rank(p)})::float4 as __rank ${from} where ${where.join(' and ')}`;
    // Typo matches are few by nature (auto mode only tries them when no substring matched),
    // but the planner estimates their selectivity from a sample: on some ANALYZE samples it
    // expects many and walks the recency index, reading the whole org for 39 matches. OFFSET 0
    // keeps the match set a subquery of its own, planned for all its rows: the trigram index.
    const candidates =
      search!.mode === 'fuzzy'
        ? `select * from (${matches} offset 0) ${a} order by ${candidateOrder}`
        : `${matches} order by ${candidateOrder}`;
    inner = `select * from (${candidates} limit ${SEARCH_CANDIDATES}) ${a}
      ${keyset ? `where ${keyset.head}` : ''} order by ${orderSql(keys)} limit ${limitParam}${offsetParam ? ` offset ${offsetParam}` : ''}`;
  } else if (keyset?.tail) {
    // Two index ranges read in order (e.g. the rest of the non-NULL names, then the NULLs).
    inner = `select * from ((${page(keyset.head)}) union all (${page(keyset.tail)})) ${a} order by ${orderSql(keys)} limit ${limitParam}`;
  } else {
    inner = `${page(keyset?.head)}${offsetParam ? ` offset ${offsetParam}` : ''}`;
  }
  // Ranked pages join their rows back (as `<alias>_row`, tenant predicate included).
  const row = ranked ? `${a}_row` : a;
  const outCols = [
    ...projection.columns.map(([n, f]) => `${renderSql(`${row}.${f.column}`, f)} as "${n}"`),
    ...projection.relations.map((r, i) => relationSql(row, r, i)),
    ...keys.map((k, i) => `${k.expr}::text as __k${i}`),
  ];
  const join = ranked ? ` join ${resource.table} ${row} on ${row}.id = ${a}.id and ${orgPredicate(row)}` : '';
  return {
    statement: `select ${outCols.join(', ')} from (${inner}) ${a}${join} order by ${orderSql(keys)}`,
    values: p.values,
    fromWhere: `${from} where ${where.join(' and ')}`,
    filterValues,
    keys,
    shape,
    indexFriendly: w.indexFriendly,
    search,
    ranked,
  };
}

async function countPlan(ctx: ListContext, plan: ListPlan, mode: ListRequest['count']): Promise<Count | undefined> {
  if (mode === 'exact') return { value: (await ctx.db.query<{ n: number }>(`select count(*)::int as n ${plan.fromWhere}`, plan.filterValues)).rows[0].n, method: 'exact' };
  if (mode === 'planned') return { value: await plannedRows(ctx.db, `select 1 ${plan.fromWhere}`, plan.filterValues), method: 'planned' };
  if (mode === 'estimated') return countRows(ctx.db, plan.fromWhere, plan.filterValues, ctx.countLimit);
  return undefined;
}

/**
 * Runs a list: the page statement (after the cost guard for risky shapes) and, beside it, the
 * count if asked. In auto search mode a term with no substring match is retried by word similarity
 * (typos), and later pages of that result keep the mode through their cursor.
 */
export async function listRows(ctx: ListContext, resource: ResourceDef, req: ListRequest): Promise<ListResult> {
  if (req.search === 'auto' && req.cursor && peekCursorMode(req.cursor) === 'fuzzy') return runList(ctx, resource, { ...req, search: 'fuzzy', fallback: true });
  const result = await runList(ctx, resource, req);
  if (req.search === 'auto' && result.search?.mode === 'trigram' && !result.rows.length && !req.cursor && !req.offset) {
    return runList(ctx, resource, { ...req, search: 'fuzzy', fallback: true });
  }
  return result;
}

async function runList(ctx: ListContext, resource: ResourceDef, req: ListRequest & { fallback?: boolean }): Promise<ListResult> {
  const plan = await planList(ctx, resource, req);
  if (!plan.indexFriendly) await guardCost(ctx.db, plan.shape, plan.statement, plan.values);
  // The count does not depend on the page: both statements go out together (one round trip on
  // the wire client, which pipelines); Promise.all hears a failure of either.
  const [{ rows }, count] = await Promise.all([
    req.limit === 0 ? { rows: [] } : ctx.db.query<Record<string, unknown>>(plan.statement, plan.values),
    countPlan(ctx, plan, req.count),
  ]);
  const hasMore = rows.length > req.limit;
  if (hasMore) rows.length = req.limit;
  const last = rows[rows.length - 1];
  const keyValues = last ? plan.keys.map((_, i) => (last[`__k${i}`] as string | null) ?? null) : [];
  const nextCursor = hasMore && last ? await encodeCursor(ctx.secret, plan.shape, keyValues, Date.now(), req.fallback ? 'fuzzy' : undefined) : null;
  for (const r of rows) for (let i = 0; i < plan.keys.length; i++) delete r[`__k${i}`];
  const search = plan.search;
  return {
    rows,
    page: { limit: req.limit, nextCursor, hasMore, ...(req.offset !== undefined ? { offset: req.offset } : {}) },
    ...(count ? { count } : {}),
    ...(search ? { search: { mode: search.mode, reason: search.reason, ranked: plan.ranked, ...(plan.ranked ? { candidates: SEARCH_CANDIDATES } : {}) } } : {}),
  };
}

/** One record by id, with the same projection and relations as lists. */
export async function getRow(ctx: ListContext, resource: ResourceDef, id: string, req: Pick<ListRequest, 'select' | 'deleted'>): Promise<Record<string, unknown>> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new AppError('invalid_query', 'id: expected a UUID.', [{ path: 'id', message: 'expected a UUID' }]);
  }
  const a = resource.alias;
  const p = new Params(ctx.auth.orgId);
  const where = [orgPredicate(a), `${a}.id = ${p.add(id.toLowerCase())}::uuid`];
  if (resource.softDelete && req.deleted !== 'include') where.push(`${a}.deleted_at is ${req.deleted === 'only' ? 'not ' : ''}null`);
  const projection = resolveProjection(resource, req.select);
  const outCols = [
    ...projection.columns.map(([n, f]) => `${renderSql(`${a}.${f.column}`, f)} as "${n}"`),
    ...projection.relations.map((r, i) => relationSql(a, r, i)),
  ];
  const { rows } = await ctx.db.query<Record<string, unknown>>(`select ${outCols.join(', ')} from ${resource.table} ${a} where ${where.join(' and ')}`, p.values);
  if (!rows.length) throw new AppError('not_found', `No such record in ${resource.name}.`);
  return rows[0];
}
