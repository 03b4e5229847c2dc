import { PATTERN_OPERATORS } from './ast';
import type { CheckedFilter } from './check';
import { isEmptyRange } from './empty-range';
import { orgPredicate, orgTsquery, type Params } from './params';
import type { ResourceDef } from './resource';
import { escapeLike, likePattern, SQL_TYPES } from './values';

// Keyed by the checked operator (a closed union), so no other name can index them.
const COMPARE: Readonly<Record<'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte', string>> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const TSQUERY: Readonly<Record<'fts' | 'plfts' | 'phfts' | 'wfts', string>> = {
  fts: 'to_tsquery',
  plfts: 'plainto_tsquery',
  phfts: 'phraseto_tsquery',
  wfts: 'websearch_to_tsquery',
};

function conditionSql(resource: ResourceDef, f: Extract<CheckedFilter, { kind: 'cond' }>, p: Params): string {
  const col = `${resource.alias}.${f.field.column}`;
  const type = SQL_TYPES[f.field.type];
  switch (f.op) {
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return `${col} ${COMPARE[f.op]} ${p.add(f.value)}::${type}`;
    case 'in':
      return `${col} = any(${p.add(f.value)}::${type}[])`;
    case 'is': {
      const v = String(f.value);
      return v === 'not_null' ? `${col} is not null` : `${col} is ${v}`;
    }
    case 'like':
    case 'ilike':
      return `${col} ${f.op} ${p.add(likePattern(String(f.value)))}`;
    case 'contains':
      return `${col} ilike ${p.add(`%${escapeLike(String(f.value))}%`)}`;
    case 'startswith':
      return `${col} ilike ${p.add(`${escapeLike(String(f.value))}%`)}`;
    case 'endswith':
      return `${col} ilike ${p.add(`%${escapeLike(String(f.value))}`)}`;
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts':
      return `${col} @@ ${orgTsquery(`${TSQUERY[f.op]}(${p.add(f.config ?? 'simple')}::regconfig, ${p.add(f.value)})`)}`;
    default:
      throw new Error(`operator ${f.op} reached the compiler unchecked`);
  }
}

/**
 * Tag filters are indexed semi-joins through (org_id, tag_id, entity_id). Names match without
 * regard to case (`vip` finds the tag `VIP`), as people type them; an org's tags are few, so
 * the name test costs nothing next to the link index.
 */
function tagsSql(resource: ResourceDef, f: Extract<CheckedFilter, { kind: 'tags' }>, p: Params): string {
  const link = resource.tagLinks;
  if (!link) throw new Error(`tag filter on ${resource.name}, which declares no tag links (check.ts admits tags only where declared)`);
  const semi = (nameSql: string) =>
    `${resource.alias}.id in (select tag_link.entity_id from ${link} tag_link join tags tag_row on tag_row.id = tag_link.tag_id and tag_row.org_id = $1 where tag_link.org_id = $1 and ${nameSql})`;
  if (f.op === 'ov') return semi(`lower(tag_row.name) in (select lower(tag_name) from unnest(${p.add(f.names)}::text[]) tag_name)`);
  return f.names.map((n) => semi(`lower(tag_row.name) = lower(${p.add(n)})`)).join(' and ');
}

/**
 * A condition on a related record as a semi-join: `exists` one row of the target, in the same
 * org (and live, where the target soft-deletes), linked to this row, that satisfies every item.
 * The items name the target by its own alias, which the subquery binds; the link names both.
 * Semi-join, never join: a to-many relation never repeats the parent row.
 */
function relatedSql(resource: ResourceDef, f: Extract<CheckedFilter, { kind: 'related' }>, p: Params): string {
  // No row of the target can satisfy a range with nothing in it (see empty-range.ts): no subquery.
  if (isEmptyRange(f.items)) return 'false';
  const { def, target } = f;
  const a = resource.alias;
  const t = target.alias;
  const conds = [orgPredicate(t), ...(target.softDelete ? [`${t}.deleted_at is null`] : []), ...f.items.map((it) => compileFilter(target, it, p))];
  if (def.through) {
    const link = `${t}_link`;
    return `exists (select 1 from ${def.through.table} ${link} join ${target.table} ${t} on ${t}.id = ${link}.${def.through.targetKey} where ${orgPredicate(link)} and ${link}.${def.through.localKey} = ${a}.id and ${conds.join(' and ')})`;
  }
  const joined = def.kind === 'one' ? `${t}.id = ${a}.${def.localKey}` : `${t}.${def.foreignKey} = ${a}.id`;
  return `exists (select 1 from ${target.table} ${t} where ${[conds[0], joined, ...conds.slice(1)].join(' and ')})`;
}

export function compileFilter(resource: ResourceDef, f: CheckedFilter, p: Params): string {
  let sql: string;
  if (f.kind === 'cond') sql = conditionSql(resource, f, p);
  else if (f.kind === 'tags') sql = tagsSql(resource, f, p);
  else if (f.kind === 'related') sql = relatedSql(resource, f, p);
  else sql = f.items.map((it) => `(${compileFilter(resource, it, p)})`).join(f.kind === 'and' ? ' and ' : ' or ');
  // Always parenthesised: an OR group must never bind looser than the tenant predicate it is ANDed with.
  return f.not ? `not (${sql})` : `(${sql})`;
}

/** True when every condition can be served by an index (used to skip the cost guard). */
export function isIndexFriendly(filters: CheckedFilter[]): boolean {
  return filters.every(function ok(f: CheckedFilter): boolean {
    if (f.not) return false;
    if (f.kind === 'tags') return true;
    // The link is an indexed foreign key: the semi-join is as cheap as its conditions on the target.
    if (f.kind === 'related') return isIndexFriendly(f.items);
    if (f.kind !== 'cond') return f.items.every(ok);
    if (f.field.type === 'tsvector') return true;
    if (PATTERN_OPERATORS.has(f.op)) return !!f.field.trigram;
    if (f.op === 'neq' || f.op === 'is') return false;
    return !!f.field.sortable || f.field.type === 'uuid';
  });
}
