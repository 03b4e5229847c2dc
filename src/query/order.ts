import { AppError } from '../core/errors';
import type { OrderTerm } from './ast';
import { unknownField } from './check';
import type { Params } from './params';
import type { FieldDef, ResourceDef } from './resource';
import { SQL_TYPES } from './values';

/** One resolved ORDER BY key: an expression, its direction and where NULLs go. */
export interface OrderKey {
  name: string;
  /** SQL expression, qualified with the resource alias (or a computed column like __rank). */
  expr: string;
  type: string;
  dir: 'asc' | 'desc';
  nulls: 'first' | 'last';
  nullable: boolean;
}

const defaultNulls = (dir: 'asc' | 'desc') => (dir === 'asc' ? 'last' : 'first');

function keyOf(resource: ResourceDef, name: string, f: FieldDef, dir: 'asc' | 'desc', nulls?: 'first' | 'last'): OrderKey {
  return { name, expr: `${resource.alias}.${f.column}`, type: SQL_TYPES[f.type], dir, nulls: nulls ?? defaultNulls(dir), nullable: !!f.nullable };
}

/**
 * Resolves `order` against the resource: only index-served (sortable) fields, and the unique
 * `id` tie-breaker appended so keyset cursors are total. An order no index serves is refused
 * rather than sorted in memory. NULLs may go first or last either way: where the leading key's
 * placement is not the index's own, the plan reads the NULL rows and the others as two index
 * ranges, one after the other (keysetSql, firstPageRanges).
 */
export function resolveOrder(resource: ResourceDef, terms: readonly OrderTerm[]): OrderKey[] {
  const source = terms.length ? terms : resource.defaultOrder;
  const keys = source.map((t, i) => {
    const path = `order[${i}]`;
    const f = Object.hasOwn(resource.fields, t.field) ? resource.fields[t.field] : undefined;
    if (!f || f.internal) throw unknownField(resource, t.field, path);
    if (!f.sortable) {
      const sortable = Object.entries(resource.fields)
        .filter(([, d]) => d.sortable)
        .map(([k]) => k);
      throw new AppError(
        'invalid_query',
        `${path}: ${resource.name} cannot be ordered by ${t.field} (no index serves that order). Sortable: ${sortable.join(', ')}.`,
        [{ path, message: 'field is not sortable' }],
      );
    }
    return keyOf(resource, t.field, f, t.dir, f.nullable ? t.nulls : undefined);
  });
  if (!keys.some((k) => k.name === 'id')) keys.push(keyOf(resource, 'id', resource.fields.id, keys[keys.length - 1].dir));
  return keys;
}

/**
 * Whether one index range yields this order: a sortable field and the id tie-breaker in the
 * same direction (the `(org_id, field, id)` index, read forward or backward). Other orders are
 * still served (an incremental sort on top of the leading key's index), but their cost depends
 * on how many rows share a leading value, so they go through the cost guard.
 */
export function isIndexOrder(keys: readonly OrderKey[]): boolean {
  if (keys.length === 1) return true;
  return keys.length === 2 && keys[1].name === 'id' && keys[0].dir === keys[1].dir;
}

/** The leading key puts its NULLs where its index does not (asc nulls first, desc nulls last). */
export function nullsAgainstIndex(keys: readonly OrderKey[]): boolean {
  const [k] = keys;
  return k.nullable && k.nulls !== defaultNulls(k.dir);
}

/**
 * A first page whose NULL placement the index does not yield, as two index ranges in the
 * requested order: the NULLs then the rest, or the rest then the NULLs.
 */
export function firstPageRanges(keys: readonly OrderKey[]): { head: string; tail: string } | undefined {
  if (!nullsAgainstIndex(keys)) return undefined;
  const k = keys[0];
  return k.nulls === 'first' ? { head: `${k.expr} is null`, tail: `${k.expr} is not null` } : { head: `${k.expr} is not null`, tail: `${k.expr} is null` };
}

/**
 * The keys as one of those ranges reads them: its leading key is all NULL or all non-NULL, so
 * the index's own NULL placement is the same order, and lets the range read the index in order.
 */
export function rangeKeys(keys: readonly OrderKey[]): OrderKey[] {
  const [k, ...rest] = keys;
  return [{ ...k, nulls: defaultNulls(k.dir) }, ...rest];
}

export function orderSql(keys: readonly OrderKey[], alias?: { from: string; to: string }): string {
  return keys
    .map((k) => {
      const expr = alias ? k.expr.replace(`${alias.from}.`, `${alias.to}.`) : k.expr;
      const nulls = k.nullable && k.nulls !== defaultNulls(k.dir) ? ` nulls ${k.nulls}` : '';
      return `${expr} ${k.dir}${nulls}`;
    })
    .join(', ');
}

/**
 * Rows strictly after the cursor, as `head` (the next rows in index order) and, when NULLs of
 * the leading key still follow, `tail` (read after head). Both are index range conditions, so
 * a page costs the same at any depth; orders with several nullable keys fall back to the
 * general (correct, slower) lexicographic OR chain.
 */
export function keysetSql(keys: readonly OrderKey[], values: readonly (string | null)[], p: Params): { head: string; tail?: string } {
  const bound = (i: number) => `${p.add(values[i])}::${keys[i].type}`;
  const sameDir = keys.every((k) => k.dir === keys[0].dir);
  const cmp = keys[0].dir === 'asc' ? '>' : '<';
  const row = () => `(${keys.map((k) => k.expr).join(', ')}) ${cmp} (${keys.map((_, i) => bound(i)).join(', ')})`;
  if (sameDir && !keys.some((k) => k.nullable)) return { head: row() };
  if (sameDir && keys.length === 2 && !keys[1].nullable) {
    // Leading nullable key + id: the rows after the cursor within its part (the NULLs, or the
    // values), then the whole other part if it comes later.
    const [k, id] = keys;
    const nullsFirst = k.nulls === 'first';
    if (values[0] !== null) return nullsFirst ? { head: row() } : { head: row(), tail: `${k.expr} is null` };
    const inNulls = `${k.expr} is null and ${id.expr} ${cmp} ${bound(1)}`;
    return nullsFirst ? { head: inNulls, tail: `${k.expr} is not null` } : { head: inNulls };
  }
  const ors: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const eqs = keys.slice(0, i).map((k, j) => (values[j] === null ? `${k.expr} is null` : `${k.expr} = ${bound(j)}`));
    const after = afterSql(keys[i], values[i], () => bound(i));
    if (after === null) continue;
    ors.push([...eqs, after].join(' and '));
  }
  return { head: ors.length ? `(${ors.map((o) => `(${o})`).join(' or ')})` : 'false' };
}

function afterSql(k: OrderKey, v: string | null, bound: () => string): string | null {
  const cmp = k.dir === 'asc' ? '>' : '<';
  if (!k.nullable) return `${k.expr} ${cmp} ${bound()}`;
  if (v === null) return k.nulls === 'first' ? `${k.expr} is not null` : null;
  return k.nulls === 'last' ? `(${k.expr} ${cmp} ${bound()} or ${k.expr} is null)` : `${k.expr} ${cmp} ${bound()}`;
}
