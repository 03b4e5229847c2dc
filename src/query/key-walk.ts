import type { CheckedFilter } from './check';
import { type OrderKey, orderSql } from './order';
import { orgPredicate } from './params';
import type { ResourceDef } from './resource';

/** WHERE for the resource's rows in this org: tenant wall and soft delete (`base`), then filters and search. */
export interface Where {
  base: string[];
  filters: { checked: CheckedFilter; sql: string }[];
  search?: string;
  indexFriendly: boolean;
}

const PATTERN_OPS: ReadonlySet<string> = new Set(['like', 'ilike', 'contains', 'startswith', 'endswith']);

/**
 * How a page ordered by a field that also carries a substring filter is read. Matches of such
 * a filter cluster by value (walking last_name from "A", names holding "son" are rare for
 * thousands of rows), so the plain page reads thousands of table rows to keep 25. Conditions on
 * the key column alone can be checked without the table rows:
 * - `index`: walk the order's index `(org_id, column, id) WHERE live` index-only, checking them
 *   on each entry, and read the table rows of the candidates only, by primary key;
 * - `values`: for fields whose values repeat (names), walk the index's distinct values (one
 *   descent each), check them once per value, and read the rows of matching values in order.
 */
export interface KeyWalk {
  mode: 'index' | 'values';
  /** Top-level filters checked on the key (the rest are checked on table rows). */
  onKey: Set<Where['filters'][number]>;
}

export function keyWalk(resource: ResourceDef, w: Where, keys: readonly OrderKey[], liveOnly: boolean): KeyWalk | undefined {
  const [lead, tie] = keys;
  const field = resource.fields[lead.name];
  if (keys.length !== 2 || tie.name !== 'id' || lead.name === 'id' || !field.indexOnly) return undefined;
  if (resource.softDelete && !liveOnly) return undefined; // the index holds live rows only
  const onLead = (f: CheckedFilter): boolean => (f.kind === 'cond' ? f.name === lead.name : f.kind !== 'tags' && f.items.every(onLead));
  const onKey = (f: CheckedFilter): boolean => (f.kind === 'cond' ? f.name === lead.name || f.name === 'id' : f.kind !== 'tags' && f.items.every(onKey));
  const pattern = (f: CheckedFilter): boolean => (f.kind === 'cond' ? PATTERN_OPS.has(f.op) : f.kind !== 'tags' && f.items.some(pattern));
  const key = w.filters.filter((f) => onKey(f.checked));
  if (!key.some((f) => pattern(f.checked))) return undefined;
  // The value walk skips NULLs: only when a plain substring condition already rejects them.
  const rejectsNull = key.some((f) => f.checked.kind === 'cond' && !f.checked.not && PATTERN_OPS.has(f.checked.op));
  const values = !!field.repeats && rejectsNull && key.every((f) => onLead(f.checked));
  return { mode: values ? 'values' : 'index', onKey: new Set(key) };
}

export interface PageParts {
  resource: ResourceDef;
  w: Where;
  keys: readonly OrderKey[];
  /** The page's columns (`c.id, c.first_name, …`). */
  cols: string;
  limit: string;
}

/** One page read by `walk`; `cursor` holds the keyset condition, if any. */
export function keyWalkPage(walk: KeyWalk, { resource, w, keys, cols, limit }: PageParts, cursor: string[]): string {
  const a = resource.alias;
  const from = `from ${resource.table} ${a}`;
  const rest = [...w.filters.filter((f) => !walk.onKey.has(f)).map((f) => f.sql), ...(w.search ? [w.search] : [])];
  const [lead, tie] = keys;
  if (walk.mode === 'index') {
    // The subquery's ORDER BY keeps it a walk of its own, which the planner reads index-only;
    // its rows are joined to the table by primary key.
    const k = `${a}_k`;
    const entries = `select ${lead.expr}, ${tie.expr} ${from} where ${[...w.base, ...[...walk.onKey].map((f) => f.sql), ...cursor].join(' and ')} order by ${orderSql(keys)}`;
    return `select ${cols} from (${entries}) ${k} join ${resource.table} ${a} on ${a}.id = ${k}.id and ${orgPredicate(a)}${rest.length ? ` where ${rest.join(' and ')}` : ''} order by ${orderSql(keys, { from: a, to: k })} limit ${limit}`;
  }
  // A loose index scan: the recursive CTE yields the distinct values in index order, one
  // descent each, lazily (the LIMIT stops it); the key conditions are checked on each value,
  // and each matching value's rows come from the same index in id order. The nested loop over
  // the CTE emits rows in (value, id) order, which is the page's order.
  const v = `${a}_v`;
  const col = resource.fields[lead.name].column;
  const cmp = lead.dir === 'asc' ? '>' : '<';
  const next = (extra: string[]) => `select ${lead.expr} ${from} where ${[...w.base, `${lead.expr} is not null`, ...extra].join(' and ')} order by ${lead.expr} ${lead.dir} limit 1`;
  const values = `with recursive ${v}(${col}) as ((${next(cursor)}) union all (select (${next([`${lead.expr} ${cmp} ${v}.${col}`])}) from ${v} where ${v}.${col} is not null))`;
  // The same compiled conditions (same placeholders), on the CTE's column instead of the row's:
  // they name no other column (keyWalk checked), and values are never in the SQL text.
  const valueChecks = [...walk.onKey].map((f) => f.sql.split(lead.expr).join(`${v}.${col}`));
  const rows = `select ${cols} ${from} where ${[...w.base, `${lead.expr} = ${v}.${col}`, ...rest, ...cursor].join(' and ')} order by ${tie.expr} ${tie.dir}`;
  return `${values} select ${a}.* from ${v} cross join lateral (${rows}) ${a} where ${valueChecks.join(' and ')} limit ${limit}`;
}
