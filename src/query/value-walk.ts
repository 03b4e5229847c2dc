import { PATTERN_OPERATORS } from './ast';
import type { CheckedFilter } from './check';
import type { OrderKey } from './order';
import type { ResourceDef } from './resource';

/** WHERE for the resource's rows in this org: tenant wall and soft delete (`base`), then filters and search. */
export interface Where {
  base: string[];
  filters: { checked: CheckedFilter; sql: string }[];
  search?: string;
  indexFriendly: boolean;
}

/** Distinct values a value walk visits before the plain page takes over (~6 µs each). */
export const VALUE_WALK_STEPS = 400;

/**
 * A page ordered by a field whose values repeat (names), filtered by a substring of that same
 * field, is read by a *value walk*. Such matches cluster by value: from "Adams" to the first
 * "…son" the plain page reads thousands of rows to keep 25. The value walk steps through the
 * distinct values of the `(org_id, column, id) WHERE live` index instead (a loose index scan,
 * one descent per value), checks the conditions on the key once per value, and reads the rows
 * of matching values only, in order. For a rare substring it would step through most values
 * of the org, so after VALUE_WALK_STEPS values the plain page (whatever plan the planner
 * picks, e.g. the trigram index) continues from the last value visited.
 *
 * Returns the top-level filters checked per value, or undefined for the plain page.
 */
export function valueWalk(resource: ResourceDef, w: Where, keys: readonly OrderKey[], liveOnly: boolean): Set<Where['filters'][number]> | undefined {
  const [lead, tie] = keys;
  if (keys.length !== 2 || tie.name !== 'id' || lead.name === 'id' || !resource.fields[lead.name].repeats) return undefined;
  if (resource.softDelete && !liveOnly) return undefined; // the index holds live rows only
  const onLead = (f: CheckedFilter): boolean => (f.kind === 'cond' ? f.name === lead.name : f.kind !== 'tags' && f.items.every(onLead));
  const onKey = w.filters.filter((f) => onLead(f.checked));
  // The walk skips NULLs: only when a plain substring condition already rejects them.
  const substring = onKey.some((f) => f.checked.kind === 'cond' && !f.checked.not && PATTERN_OPERATORS.has(f.checked.op));
  return substring ? new Set(onKey) : undefined;
}

export interface PageParts {
  resource: ResourceDef;
  w: Where;
  keys: readonly OrderKey[];
  /** The page's columns (`c.id, c.first_name, …`). */
  cols: string;
  limit: string;
  /** The plain page for extra conditions (cursor, range after the walk). */
  plain: (extra: string[]) => string;
}

/** One page read by a value walk; `cursor` holds the keyset condition, if any. */
export function valueWalkPage(onKey: Set<Where['filters'][number]>, { resource, w, keys, cols, limit, plain }: PageParts, cursor: string[]): string {
  const a = resource.alias;
  const from = `from ${resource.table} ${a}`;
  const rest = [...w.filters.filter((f) => !onKey.has(f)).map((f) => f.sql), ...(w.search ? [w.search] : [])];
  const [lead, tie] = keys;
  const v = `${a}_v`;
  const col = resource.fields[lead.name].column;
  const cmp = lead.dir === 'asc' ? '>' : '<';
  // The distinct values in index order, lazily (the page's LIMIT stops the recursion), at most
  // VALUE_WALK_STEPS of them.
  const next = (extra: string[]) => `select ${lead.expr} ${from} where ${[...w.base, `${lead.expr} is not null`, ...extra].join(' and ')} order by ${lead.expr} ${lead.dir} limit 1`;
  const values = `${v}(${col}, n) as ((select (${next(cursor)}), 1) union all (select (${next([`${lead.expr} ${cmp} ${v}.${col}`])}), ${v}.n + 1 from ${v} where ${v}.${col} is not null and ${v}.n < ${VALUE_WALK_STEPS}))`;
  // The same compiled conditions (same placeholders), on the value instead of the row: they
  // name no other column (valueWalk checked), and values are never in the SQL text.
  const checks = [...onKey].map((f) => f.sql.split(lead.expr).join(`${v}.${col}`));
  const rows = `select ${cols} ${from} where ${[...w.base, `${lead.expr} = ${v}.${col}`, ...rest, ...cursor].join(' and ')} order by ${tie.expr} ${tie.dir}`;
  // The nested loop over the CTE emits rows in (value, id) order, the page's order.
  const walked = `${a}_w as (select ${a}.* from ${v} cross join lateral (${rows}) ${a} where ${checks.join(' and ')} limit ${limit})`;
  // Not full after the walk: the plain page continues after the last value visited.
  const after = plain([...cursor, `(select count(*) from ${a}_w) < ${limit}`, `${lead.expr} ${cmp} (select ${lead.dir === 'asc' ? 'max' : 'min'}(${col}) from ${v})`]);
  return `with recursive ${values}, ${walked} (select * from ${a}_w) union all (${after}) limit ${limit}`;
}
