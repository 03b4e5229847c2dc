import { AppError } from '../core/errors';
import type { UserGrants } from '../sharing/types';
import { accessSql } from './access';
import { LIMITS, type ListRequest } from './ast';
import { checkFilters } from './check';
import { compileFilter, isIndexFriendly } from './compile-filter';
import { isEmptyRange } from './empty-range';
import { firstPageRanges, isIndexOrder, keysetSql, nullsAgainstIndex, type OrderKey, orderSql, rangeKeys, resolveOrder } from './order';
import { isoSql, orgPredicate, Params } from './params';
import type { Catalog, FieldDef, ResourceDef } from './resource';
import { chooseSearchMode, FUZZY_FALLBACK_REASON, planSearch, SEARCH_CANDIDATES, type SearchPlan } from './search';
import { computedSql, type EmbedAccess, neededColumns, relationSql, renderSql, resolveProjection } from './select';
import { valueWalk, valueWalkPage, type Where } from './value-walk';

/**
 * The plan stage: a checked list request becomes one parameterised statement, without I/O and
 * without state, so the same input always gives the same plan (and unit tests need no
 * database). Execution (execute.ts) is the only stage that talks to Postgres.
 */
export interface PlanInput {
  catalog: Catalog;
  resource: ResourceDef;
  req: ListRequest;
  orgId: string;
  /** Order-key values of the previous page's last row, from a verified cursor. */
  after?: readonly (string | null)[];
  /** Auto search found no substring match: this plan searches by similarity instead. */
  fallback?: boolean;
  /** Deepest `offset` served (LIMITS.maxOffset unless a mount pages deeper by its own bound). */
  maxOffset?: number;
  /** The caller's sharing grants: rows (and embedded rows) they may not read are not there. None: no limit. */
  access?: UserGrants;
  /**
   * The list is one record's rows (`GET /v1/companies/{id}/contacts`): no row at all unless that
   * record is live and the caller may read it. The rows' link to it is a filter in `req.where`.
   */
  parent?: ListParent;
}

/** A record whose rows a list is, checked in the list's own statement. */
export interface ListParent {
  resource: ResourceDef;
  /** A UUID (checked by the route). */
  id: string;
}

/** A compiled list: the page statement, the count's FROM/WHERE, and what execution needs. */
export interface ListPlan {
  statement: string;
  values: unknown[];
  /** `from … where …` without cursor/limit, and the values it uses ($1…$n), for counts. */
  fromWhere: string;
  filterValues: unknown[];
  keys: OrderKey[];
  /**
   * Where each order key's text is in a result row: a projected column that renders it the same
   * (keyText), read from there, or a `__k<i>` column after the projection's. `index` is its
   * position in an array row, `name` its key in an object row.
   */
  keyColumns: KeyColumn[];
  indexFriendly: boolean;
  search?: SearchPlan;
  ranked: boolean;
}

export interface KeyColumn {
  index: number;
  name: string;
  /** Read from a projected column rather than a `__k` one of its own. */
  projected: boolean;
}

/** An order key's text in the cursor: what `$n::<type>` reads back (timestamps as ISO, like their columns). */
function keyText(k: OrderKey): string {
  return k.type === 'timestamptz' ? isoSql(k.expr) : `${k.expr}::text`;
}

/** Field types whose projected column is the key's text as it is (ints as the number of that text); not booleans. */
const SAME_TEXT: ReadonlySet<string> = new Set(['uuid', 'text', 'enum', 'int', 'numeric', 'date', 'timestamp']);

/**
 * Where each key is read from: a projected column of the same field and a type rendered as the
 * key's text (exports select the id and the sort column: two columns fewer per row to decode),
 * else its own `__k<i>` column, after the `before` columns of the row.
 */
function keyColumns(resource: ResourceDef, keys: readonly OrderKey[], columns: ReadonlyArray<[string, FieldDef]>, before: number): KeyColumn[] {
  let appended = 0;
  return keys.map((k, i) => {
    const f = resource.fields[k.name];
    const at = f && SAME_TEXT.has(f.type) ? columns.findIndex(([, c]) => c.column === f.column && c.type === f.type) : -1;
    return at >= 0 ? { index: at, name: columns[at][0], projected: true } : { index: before + appended++, name: `__k${i}`, projected: false };
  });
}

/** The request as the search will run it: fuzzy after a fallback. */
function effective(input: Pick<PlanInput, 'req' | 'fallback'>): ListRequest {
  return input.fallback ? { ...input.req, search: 'fuzzy' } : input.req;
}

function rankedKeys(resource: ResourceDef): OrderKey[] {
  const a = resource.alias;
  return [
    { name: '__rank', expr: `${a}.__rank`, type: 'float4', dir: 'desc', nulls: 'first', nullable: false },
    { name: 'id', expr: `${a}.id`, type: 'uuid', dir: 'asc', nulls: 'last', nullable: false },
  ];
}

/** Whether results are ordered by relevance: a ranked search mode and no explicit order. */
function isRanked(resource: ResourceDef, req: ListRequest): boolean {
  if (req.q === undefined || req.order.length || !resource.search) return false;
  return chooseSearchMode(req.q.trim(), req.search, resource.search.trigram.length > 0).mode !== 'prefix';
}

/** The ORDER BY keys of a list, id always last (a total order, so cursors are exact). */
export function listKeys(resource: ResourceDef, req: ListRequest): OrderKey[] {
  return isRanked(resource, req) ? rankedKeys(resource) : resolveOrder(resource, req.order);
}

/**
 * What a cursor is bound to: the resource, the caller, the filters, the order and the search.
 * A cursor made for one shape is refused for any other (cursor.ts hashes and signs it).
 */
export function listShape(input: Pick<PlanInput, 'resource' | 'req' | 'fallback'> & { orgId: string; userId: string }): unknown[] {
  const req = effective(input);
  const keys = listKeys(input.resource, req);
  const mode = req.q !== undefined && input.resource.search ? chooseSearchMode(req.q.trim(), req.search, input.resource.search.trigram.length > 0).mode : null;
  return [input.resource.name, input.orgId, input.userId, req.where, keys.map((k) => [k.name, k.dir, k.nulls]), req.q ?? null, mode, req.deleted];
}

/** Each embed is a subquery per page row: a page pays for rows × embeds (LIMITS.maxEmbedRows). */
function checkEmbedBudget(limit: number, embeds: number): void {
  if (limit * embeds <= LIMITS.maxEmbedRows) return;
  throw new AppError(
    'invalid_query',
    `select: ${embeds} embedded relations on ${limit} rows is over the budget of ${LIMITS.maxEmbedRows} rows × embeds; use limit=${Math.floor(LIMITS.maxEmbedRows / embeds)} or less, or fewer embeds.`,
    [{ path: 'select', message: 'too many rows × embeds' }],
  );
}

function checkPaging(req: ListRequest, maxOffset: number): void {
  if (req.cursor && req.offset !== undefined)
    throw new AppError('invalid_query', 'Use either cursor or offset, not both.', [{ path: 'offset', message: 'conflicts with cursor' }]);
  if ((req.offset ?? 0) > maxOffset) {
    throw new AppError('invalid_query', `offset is limited to ${maxOffset}; page deeper with cursor (page.nextCursor) — it costs the same at any depth.`, [
      { path: 'offset', message: 'too deep; use cursor' },
    ]);
  }
}

function baseWhere(
  catalog: Catalog,
  resource: ResourceDef,
  req: ListRequest,
  p: Params,
  search: SearchPlan | undefined,
  access?: UserGrants,
  parent?: ListParent,
): Where {
  const a = resource.alias;
  const base = [orgPredicate(a)];
  // The access hook: right after the tenant wall, parenthesised, so nothing is ORed past it.
  const visible = accessSql(access, resource, p, catalog);
  if (visible) base.push(visible);
  if (parent) base.push(parentSql(parent, p, catalog, access));
  if (resource.softDelete) {
    if (req.deleted === 'exclude') base.push(`${a}.deleted_at is null`);
    if (req.deleted === 'only') base.push(`${a}.deleted_at is not null`);
  } else if (req.deleted !== 'exclude') {
    throw new AppError('invalid_query', `deleted: ${resource.name} are not soft-deleted.`, [{ path: 'deleted', message: 'not soft-deletable' }]);
  }
  const checked = checkFilters(resource, req.where, { catalog });
  // A range with nothing in it: no row can match, and Postgres would search for one anyway.
  if (isEmptyRange(checked)) base.push('false');
  const filters = checked.map((f) => ({ checked: f, sql: compileFilter(resource, f, p) }));
  return { base, filters, ...(search ? { search: `(${search.where})` } : {}), indexFriendly: isIndexFriendly(checked) };
}

/**
 * The parent record is live and readable: a condition on no column of the list's rows, so
 * Postgres checks it once (a one-time filter) before reading any. Written over the parent's own
 * alias, which the subquery binds.
 */
function parentSql(parent: ListParent, p: Params, catalog: Catalog, access?: UserGrants): string {
  const t = parent.resource.alias;
  const visible = accessSql(access, parent.resource, p, catalog);
  const where = [
    orgPredicate(t),
    `${t}.id = ${p.add(parent.id)}::uuid`,
    ...(parent.resource.softDelete ? [`${t}.deleted_at is null`] : []),
    ...(visible ? [visible] : []),
  ];
  return `exists (select 1 from ${parent.resource.table} ${t} where ${where.join(' and ')})`;
}

const allOf = (w: Where): string[] => [...w.base, ...w.filters.map((f) => f.sql), ...(w.search ? [w.search] : [])];

/**
 * Compiles a list request to one statement. The page subquery reads only the page through the
 * order's index; relations are embedded by scalar subqueries over those rows only; the tenant
 * predicate is always the first conjunct.
 */
export function planList(input: PlanInput): ListPlan {
  const { catalog, resource } = input;
  const req = effective(input);
  checkPaging(req, input.maxOffset ?? LIMITS.maxOffset);
  if (input.after && input.after.length !== listKeys(resource, req).length)
    throw new Error('cursor keys do not match the plan (verify the cursor against listShape first)');
  const a = resource.alias;
  const p = new Params(input.orgId);
  const search = req.q !== undefined ? planSearch(resource, req.q, req.search, p) : undefined;
  if (search && input.fallback) search.reason = FUZZY_FALLBACK_REASON;
  const ranked = !!search && search.mode !== 'prefix' && !req.order.length;
  const w = baseWhere(catalog, resource, req, p, search, input.access, input.parent);
  const where = allOf(w);
  const filterValues = [...p.values];
  const keys = ranked ? rankedKeys(resource) : resolveOrder(resource, req.order);
  const projection = resolveProjection(catalog, resource, req.select);
  // A computed count is a subquery per page row, like an embed.
  checkEmbedBudget(req.limit, projection.relations.length + projection.computed.length);
  const keyset = input.after ? keysetSql(keys, input.after, p) : undefined;

  // Ranked candidates are taken in the default order, so its columns travel too. They carry
  // only keys (id, default order, rank): a walk of the recency index can then be index-only
  // where the index includes the searched text, and the page's columns are read for its rows
  // alone, by primary key, in the outer join.
  const defaultKeys = resolveOrder(resource, []);
  const orderCols = [...keys, ...(ranked ? defaultKeys : [])].filter((k) => k.name !== '__rank').map((k) => resource.fields[k.name].column);
  const cols = (ranked ? [...new Set(['id', ...orderCols])] : neededColumns(projection, orderCols)).map((c) => `${a}.${c}`).join(', ');
  const limitParam = p.add(req.limit + 1);
  const from = `from ${resource.table} ${a}`;
  let inner: string;
  const walk = ranked ? undefined : valueWalk(resource, w, keys, req.deleted === 'exclude');
  const offsetParam = req.offset ? p.add(req.offset) : undefined; // never with a cursor (checkPaging)
  const offsetSql = offsetParam ? ` offset ${offsetParam}` : '';
  // NULLs placed where the leading key's index does not put them: the page is read as two index
  // ranges in the requested order (the NULL rows, and the others), like a cursor inside them.
  const ranges = ranked ? keyset : (keyset ?? firstPageRanges(keys));
  const split = !!ranges?.tail;
  // Inside such a range the leading key is all NULL or all non-NULL, so the index's own NULL
  // placement gives the same order and the range reads its index in order. (A cursor of a
  // longer order is one range across both, sorted as asked: that order is cost-guarded.)
  const native = nullsAgainstIndex(keys) && (!keyset || isIndexOrder(keys));
  const rangeOrder = orderSql(native ? rangeKeys(keys) : keys);
  // A range (or a walked page) with an offset must read past the rows it skips.
  const rangeLimit = offsetParam && (split || walk) ? `(${limitParam}::int + ${offsetParam}::int)` : limitParam;
  const plain = (extra: string[]) => `select ${cols} ${from} where ${[...where, ...extra].join(' and ')} order by ${rangeOrder} limit ${rangeLimit}`;
  const page = (extra?: string) => {
    const cursor = extra ? [`(${extra})`] : [];
    return walk ? valueWalkPage(walk, { resource, w, keys, cols, limit: rangeLimit }, cursor) : plain(cursor);
  };
  if (ranked && search) {
    // Candidates are the most recent matches in the default order: the planner can then walk
    // that index for common terms (stopping at the cap) or use the text index for rare ones.
    const candidateOrder = orderSql(defaultKeys);
    const matches = `select ${cols}, (${search.rank(p)})::float4 as __rank ${from} where ${where.join(' and ')}`;
    // Typo matches are few by nature (auto mode only tries them when no substring matched),
    // but the planner estimates their selectivity from a sample: on some ANALYZE samples it
    // expects many and walks the recency index, reading the whole org for 39 matches. OFFSET 0
    // keeps the match set a subquery of its own, planned for all its rows: the trigram index.
    const candidates =
      search.mode === 'fuzzy' ? `select * from (${matches} offset 0) ${a} order by ${candidateOrder}` : `${matches} order by ${candidateOrder}`;
    inner = `select * from (${candidates} limit ${SEARCH_CANDIDATES}) ${a}
      ${keyset ? `where ${keyset.head}` : ''} order by ${orderSql(keys)} limit ${limitParam}${offsetSql}`;
  } else if (ranges?.tail) {
    // Two index ranges read in order (e.g. the rest of the non-NULL names, then the NULLs).
    inner = `select * from ((${page(ranges.head)}) union all (${page(ranges.tail)})) ${a} order by ${orderSql(keys)} limit ${limitParam}${offsetSql}`;
  } else {
    inner = `${page(ranges?.head)}${offsetSql}`;
  }
  // Ranked pages join their rows back (as `<alias>_row`, tenant predicate included).
  const row = ranked ? `${a}_row` : a;
  const outCols = [
    ...projection.columns.map(([n, f]) => `${renderSql(`${row}.${f.column}`, f)} as "${n}"`),
    ...projection.computed.map((c) => computedSql(row, c, embedAccess(input.access, p, catalog))),
    ...projection.relations.map((r, i) => relationSql(row, r, i, embedAccess(input.access, p, catalog))),
  ];
  const keyCols = keyColumns(resource, keys, projection.columns, outCols.length);
  outCols.push(...keys.flatMap((k, i) => (keyCols[i].projected ? [] : [`${keyText(k)} as __k${i}`])));
  const join = ranked ? ` join ${resource.table} ${row} on ${row}.id = ${a}.id and ${orgPredicate(row)}` : '';
  return {
    statement: `select ${outCols.join(', ')} from (${inner}) ${a}${join} order by ${orderSql(keys)}`,
    values: p.values,
    fromWhere: `${from} where ${where.join(' and ')}`,
    filterValues,
    keys,
    keyColumns: keyCols,
    // An order one index range does not yield is served under the cost guard.
    indexFriendly: w.indexFriendly && (ranked || isIndexOrder(keys)),
    search,
    ranked,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One record by id, with the same projection and relations as lists. */
export function planGet(input: {
  catalog: Catalog;
  resource: ResourceDef;
  orgId: string;
  id: string;
  req: Pick<ListRequest, 'select' | 'deleted'>;
  access?: UserGrants;
}): {
  statement: string;
  values: unknown[];
} {
  const { id } = input;
  if (!UUID.test(id)) throw new AppError('invalid_query', 'id: expected a UUID.', [{ path: 'id', message: 'expected a UUID' }]);
  return planRecords({ ...input, ids: [id] });
}

/**
 * Column every record statement adds for the row's version (`VERSION_COLUMN`): `updated_at` in
 * microseconds since the epoch. Writes set `updated_at` from `clock_timestamp()` under the row's
 * lock, so each committed change moves it; the API turns it into the ETag.
 */
export const VERSION_COLUMN = '__version';
/** The record's id, whatever `select` kept. */
export const ID_COLUMN = '__id';

/**
 * Records by id (already validated UUIDs), with the projection of a get, in no particular
 * order: what a write answers with, rendered exactly as a GET renders it, plus the version.
 */
export function planRecords(input: {
  catalog: Catalog;
  resource: ResourceDef;
  orgId: string;
  ids: readonly string[];
  req: Pick<ListRequest, 'select' | 'deleted'>;
  access?: UserGrants;
}): {
  statement: string;
  values: unknown[];
} {
  const { catalog, resource, ids, req } = input;
  const a = resource.alias;
  const p = new Params(input.orgId);
  const lower = ids.map((id) => id.toLowerCase());
  const where = [orgPredicate(a), lower.length === 1 ? `${a}.id = ${p.add(lower[0])}::uuid` : `${a}.id = any(${p.add(lower)}::uuid[])`];
  const visible = accessSql(input.access, resource, p, catalog);
  if (visible) where.push(visible);
  if (resource.softDelete && req.deleted !== 'include') where.push(`${a}.deleted_at is ${req.deleted === 'only' ? 'not ' : ''}null`);
  const projection = resolveProjection(catalog, resource, req.select);
  const outCols = [
    ...projection.columns.map(([n, f]) => `${renderSql(`${a}.${f.column}`, f)} as "${n}"`),
    ...projection.computed.map((c) => computedSql(a, c, embedAccess(input.access, p, catalog))),
    ...projection.relations.map((r, i) => relationSql(a, r, i, embedAccess(input.access, p, catalog))),
    `${versionSql(a)} as "${VERSION_COLUMN}"`,
    `${a}.id::text as "${ID_COLUMN}"`,
  ];
  return { statement: `select ${outCols.join(', ')} from ${resource.table} ${a} where ${where.join(' and ')}`, values: p.values };
}

/** The access condition of an embedded relation's target, over the target's own alias. */
function embedAccess(access: UserGrants | undefined, p: Params, catalog: Catalog): EmbedAccess | undefined {
  return access ? (target) => accessSql(access, target, p, catalog, 'read', { embedded: true }) : undefined;
}

/** A row's version as text: `updated_at` in whole microseconds since the epoch. */
export function versionSql(alias: string): string {
  return `(extract(epoch from ${alias}.updated_at) * 1000000)::int8::text`;
}
