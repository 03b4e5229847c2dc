import type { QueryCaches } from '../cache/isolate';
import type { Auth } from '../core/auth';
import { AppError, sqlStateOf } from '../core/errors';
import type { Db } from '../db/client';
import type { UserGrants } from '../sharing/types';
import type { ListRequest } from './ast';
import { conditionPath } from './check';
import { guardCost } from './cost';
import { type Count, countRows, EXACT_COUNT_BUDGET, exactCount, exactOverBudget, exactPlanned, plannedRows, type Sampling } from './count';
import { checkCursorShape, encodeCursor, shapeHash, verifyCursor } from './cursor';
import { ID_COLUMN, type ListParent, type ListPlan, listKeys, listShape, planGet, planList, planRecords, VERSION_COLUMN } from './plan';
import type { Catalog, ResourceDef } from './resource';
import { SEARCH_CANDIDATES, type SearchPlan } from './search';

/**
 * The execute stage: the only part of the query layer that talks to Postgres. It verifies the
 * cursor, asks plan.ts for the statement, runs it (behind the cost guard where the shape is
 * risky) with the count beside it, and falls back from substring to typo-tolerant search.
 */
export interface ListResult {
  rows: Record<string, unknown>[];
  page: { limit: number; nextCursor: string | null; hasMore: boolean; offset?: number };
  count?: Count;
  search?: { mode: SearchPlan['mode']; reason: string; ranked: boolean; candidates?: number };
}

export interface ListContext {
  db: Db;
  auth: Auth;
  catalog: Catalog;
  /** State that outlives the request (estimates, cost verdicts): src/cache/. */
  caches: QueryCaches;
  /** HMAC secret for cursors. A mount that pages by number alone (appusers) gives none: no nextCursor is made. */
  secret?: string;
  /** `estimated` counts exactly up to this many rows. */
  countLimit: number;
  /** Deepest offset served; LIMITS.maxOffset unless the mount has its own bound. */
  maxOffset?: number;
  /** `count=exact` counts at most this many rows; EXACT_COUNT_BUDGET unless said otherwise. */
  exactCountBudget?: number;
  /** The caller's sharing grants (src/sharing/): every statement shows only what they may read. */
  access?: UserGrants;
  /** The list is one record's rows, none unless the caller may read that record (PlanInput.parent). */
  parent?: ListParent;
  /**
   * `array`: each row is its values in projection order (projectionKeys), then its order keys,
   * not an object: what an export writing CSV needs, without building and then reading an
   * object per row.
   */
  rowMode?: 'array';
}

/**
 * Whether an estimated count may sample by id (count.ts, Sampling): the resource's ids are random
 * UUIDs with an `(org_id, id)` index (a sortable id), live rows only where it soft-deletes (the
 * index is partial).
 */
function sampling(resource: ResourceDef, req: ListRequest): Sampling | undefined {
  if (!resource.fields.id?.sortable || (resource.softDelete && req.deleted !== 'exclude')) return undefined;
  return { id: `${resource.alias}.id` };
}

async function countPlan(ctx: ListContext, resource: ResourceDef, req: ListRequest, plan: ListPlan): Promise<Count | undefined> {
  const mode = req.count;
  if (mode === 'exact') {
    const opts = { budget: ctx.exactCountBudget ?? EXACT_COUNT_BUDGET, strict: req.handling === 'strict', countLimit: ctx.countLimit };
    return exactCount(ctx.db, ctx.caches.estimates, plan.fromWhere, plan.filterValues, { ...opts, sampling: sampling(resource, req) });
  }
  if (mode === 'planned') return { value: await plannedRows(ctx.db, `select 1 ${plan.fromWhere}`, plan.filterValues), method: 'planned' };
  if (mode === 'estimated') return countRows(ctx.db, ctx.caches.estimates, plan.fromWhere, plan.filterValues, ctx.countLimit, sampling(resource, req));
  return undefined;
}

/**
 * Runs a list: the page statement and, beside it, the count if asked. In auto search mode a
 * term with no substring match is searched again by word similarity (typos); later pages of
 * that result keep the mode through their signed cursor.
 */
export async function listRows(ctx: ListContext, resource: ResourceDef, req: ListRequest): Promise<ListResult> {
  try {
    return await listPages(ctx, resource, req);
  } catch (err) {
    throw refusedValue(err, req) ?? err;
  }
}

/**
 * A list page whose rows are arrays of their values in projection order (projectionKeys),
 * followed by the order keys the projection does not hold, for exports: a writer takes as many
 * values as it has columns.
 */
export async function listArrays(ctx: ListContext, resource: ResourceDef, req: ListRequest): Promise<Omit<ListResult, 'rows'> & { rows: unknown[][] }> {
  const page = await listRows({ ...ctx, rowMode: 'array' }, resource, req);
  return { ...page, rows: page.rows as unknown as unknown[][] };
}

/**
 * A value only Postgres can judge, as a 400 naming its parameter. Everything JS can check is
 * checked before SQL (check.ts, values.ts); what is left is to_tsquery's own syntax (`fts`:
 * SQLSTATE 42601, or 22023 for a phrase distance past 16384) and a NUL in `q` (22021). Any other
 * data exception keeps fromDatabaseError's mapping; a syntax error with no `fts` filter is ours (500).
 */
function refusedValue(err: unknown, req: ListRequest): AppError | undefined {
  const state = sqlStateOf(err);
  if (state === '42601' || state === '22023') {
    const path = conditionPath(req.where, (c) => c.op === 'fts');
    if (path === undefined) return undefined;
    return new AppError(
      'invalid_query',
      `${path}: the fts query cannot be parsed (check its operators & | ! <-> and its parentheses; plfts, phfts and wfts take plain words).`,
      [{ path, message: 'invalid full-text query' }],
    );
  }
  if ((state === '22021' || state === '22P05') && req.q?.includes('\u0000')) {
    return new AppError('invalid_query', 'q: contains a character the database cannot hold (NUL, U+0000).', [{ path: 'q', message: 'invalid character' }]);
  }
  return undefined;
}

/**
 * A next-page cursor another caller's request produced (a read tier's entry, shared by callers
 * with identical access), signed again for this caller: cursors are bound to the user who may
 * follow them, so the shared page carries the caller's own.
 */
export async function resignCursor(
  secret: string,
  cursor: string,
  resource: ResourceDef,
  req: ListRequest,
  who: Pick<Auth, 'orgId' | 'userId'>,
): Promise<string> {
  const payload = await verifyCursor(secret, cursor);
  const fallback = payload.m === 'fuzzy';
  const shape = await shapeHash(listShape({ resource, req, fallback, orgId: who.orgId, userId: who.userId }));
  return encodeCursor(secret, shape, payload.k, Date.now(), payload.m);
}

async function listPages(ctx: ListContext, resource: ResourceDef, req: ListRequest): Promise<ListResult> {
  const who = { orgId: ctx.auth.orgId, userId: ctx.auth.userId };
  if (req.cursor) {
    if (ctx.secret === undefined) throw new Error('a cursor reached a list context without a cursor secret');
    const cursor = await verifyCursor(ctx.secret, req.cursor);
    const fallback = req.search === 'auto' && cursor.m === 'fuzzy';
    checkCursorShape(
      cursor,
      await shapeHash(listShape({ resource, req, fallback, ...who })),
      listKeys(resource, fallback ? { ...req, search: 'fuzzy' } : req).length,
    );
    return runPlan(ctx, resource, req, fallback, cursor.k);
  }
  const result = await runPlan(ctx, resource, req, false);
  if (req.search === 'auto' && result.search?.mode === 'trigram' && !result.rows.length && !req.offset) return runPlan(ctx, resource, req, true);
  return result;
}

async function runPlan(ctx: ListContext, resource: ResourceDef, req: ListRequest, fallback: boolean, after?: (string | null)[]): Promise<ListResult> {
  const plan = planList({
    catalog: ctx.catalog,
    resource,
    req,
    orgId: ctx.auth.orgId,
    after,
    fallback,
    maxOffset: ctx.maxOffset,
    access: ctx.access,
    parent: ctx.parent,
  });
  // The verdict depends on the whole statement (projection, relations, offset) and on the page
  // size, so a cheap request never vouches for an expensive one.
  if (!plan.indexFriendly)
    await guardCost(ctx.db, ctx.caches.verdicts, `${ctx.auth.orgId}|${req.limit}|${req.offset ?? 0}|${plan.statement}`, plan.statement, plan.values);
  // A strict count=exact (Prefer: handling=strict) the planner expects over its row budget is
  // refused before the page runs. A lenient one needs no estimate first: its count is bounded.
  if (req.count === 'exact' && req.handling === 'strict') {
    const budget = ctx.exactCountBudget ?? EXACT_COUNT_BUDGET;
    const planned = await exactPlanned(ctx.db, ctx.caches.estimates, plan.fromWhere, plan.filterValues);
    if (planned > budget) throw exactOverBudget(planned, budget);
  }
  // The count does not depend on the page: both statements go out together (the driver
  // pipelines them); Promise.all hears a failure of either.
  const arrays = ctx.rowMode === 'array';
  const [{ rows }, count] = await Promise.all([
    req.limit === 0 ? { rows: [] } : ctx.db.query<Record<string, unknown>>(plan.statement, plan.values, arrays ? { rowMode: 'array' } : undefined),
    countPlan(ctx, resource, req, plan),
  ]);
  const hasMore = rows.length > req.limit;
  if (hasMore) rows.length = req.limit;
  const last = rows[rows.length - 1];
  // The order keys' text: projected columns, or the statement's last columns (`__k0`…, dropped below).
  const keyOf = (row: Record<string, unknown>, i: number) => {
    const at = plan.keyColumns[i];
    const value = arrays ? (row as unknown as unknown[])[at.index] : row[at.name];
    return value === null || value === undefined ? null : String(value);
  };
  let nextCursor: string | null = null;
  if (hasMore && last && ctx.secret !== undefined) {
    const keyValues = plan.keys.map((_, i) => keyOf(last, i));
    const shape = await shapeHash(listShape({ resource, req, fallback, orgId: ctx.auth.orgId, userId: ctx.auth.userId }));
    nextCursor = await encodeCursor(ctx.secret, shape, keyValues, Date.now(), fallback ? 'fuzzy' : undefined);
  }
  // Arrays keep their own key columns at the end (listArrays); shortening a million arrays costs more than leaving them.
  const own = plan.keyColumns.filter((k) => !k.projected).map((k) => k.name);
  if (!arrays && own.length) for (const r of rows) for (const name of own) delete r[name];
  const search = plan.search;
  return {
    rows,
    page: { limit: req.limit, nextCursor, hasMore, ...(req.offset !== undefined ? { offset: req.offset } : {}) },
    ...(count ? { count } : {}),
    ...(search ? { search: { mode: search.mode, reason: search.reason, ranked: plan.ranked, ...(plan.ranked ? { candidates: SEARCH_CANDIDATES } : {}) } } : {}),
  };
}

/** A rendered record and its version (the ETag's source). */
export interface RecordRow {
  id: string;
  row: Record<string, unknown>;
  version: string;
}

/** One record by id, with the same projection and relations as lists. */
export async function getRecord(
  ctx: Pick<ListContext, 'db' | 'auth' | 'catalog' | 'access'>,
  resource: ResourceDef,
  id: string,
  req: Pick<ListRequest, 'select' | 'deleted'>,
): Promise<RecordRow> {
  const plan = planGet({ catalog: ctx.catalog, resource, orgId: ctx.auth.orgId, id, req, access: ctx.access });
  const { rows } = await ctx.db.query<Record<string, unknown>>(plan.statement, plan.values);
  if (!rows.length) throw new AppError('not_found', `No such record in ${resource.name}.`);
  return splitVersion(rows[0]);
}

/** One record by id, without its version. */
export async function getRow(
  ctx: Pick<ListContext, 'db' | 'auth' | 'catalog' | 'access'>,
  resource: ResourceDef,
  id: string,
  req: Pick<ListRequest, 'select' | 'deleted'>,
): Promise<Record<string, unknown>> {
  return (await getRecord(ctx, resource, id, req)).row;
}

/** Records by id (valid UUIDs) in one statement, keyed by id; ids not found are absent. */
export async function getRecords(
  ctx: Pick<ListContext, 'db' | 'auth' | 'catalog' | 'access'>,
  resource: ResourceDef,
  ids: readonly string[],
  req: Pick<ListRequest, 'select' | 'deleted'>,
): Promise<Map<string, RecordRow>> {
  const out = new Map<string, RecordRow>();
  if (!ids.length) return out;
  const plan = planRecords({ catalog: ctx.catalog, resource, orgId: ctx.auth.orgId, ids, req, access: ctx.access });
  const { rows } = await ctx.db.query<Record<string, unknown>>(plan.statement, plan.values);
  for (const r of rows) {
    const rec = splitVersion(r);
    out.set(rec.id, rec);
  }
  return out;
}

function splitVersion(raw: Record<string, unknown>): RecordRow {
  const { [VERSION_COLUMN]: version, [ID_COLUMN]: id, ...row } = raw;
  return { id: String(id), row, version: String(version) };
}
