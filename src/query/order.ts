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
 * Resolves `order` against the resource: only index-served (sortable) fields, NULL placement
 * the index yields for the leading key, and the unique `id` tie-breaker appended so keyset
 * cursors are total. An order no index serves is refused rather than sorted in memory.
 */
export function resolveOrder(resource: ResourceDef, terms: readonly OrderTerm[]): OrderKey[] {
  const source = terms.length ? terms : resource.defaultOrder;
  const keys = source.map((t, i) => {
    const path = `order[${i}]`;
    const f = Object.hasOwn(resource.fields, t.field) ? resource.fields[t.field] : undefined;
    if (!f || f.internal) throw unknownField(resource, t.field, path);
    if (!f.sortable) {
      const sortable = Object.entries(resource.fields).filter(([, d]) => d.sortable).map(([k]) => k);
      throw new AppError('invalid_query', `${path}: ${resource.name} cannot be ordered by ${t.field} (no index serves that order). Sortable: ${sortable.join(', ')}.`, [
        { path, message: 'field is not sortable' },
      ]);
    }
    const key = keyOf(resource, t.field, f, t.dir, f.nullable ? t.nulls : undefined);
    if (i === 0 && key.nullable && key.nulls !== defaultNulls(key.dir)) {
      throw new AppError('invalid_query', `${path}: ${t.field}.${t.dir} puts NULLs ${defaultNulls(t.dir)} (the index order); nulls${key.nulls} is not served.`, [
        { path, message: 'null placement not index-served' },
      ]);
    }
    return key;
  });
  if (!keys.some((k) => k.name === 'id')) keys.push(keyOf(resource, 'id', resource.fields.id, keys[keys.length - 1].dir));
  return keys;
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
    // Leading nullable key + id; NULLs sit where the index puts them (last asc, first desc).
    const [k, id] = keys;
    if (values[0] !== null) return k.dir === 'asc' ? { head: row(), tail: `${k.expr} is null` } : { head: row() };
    const inNulls = `${k.expr} is null and ${id.expr} ${cmp} ${bound(1)}`;
    return k.dir === 'asc' ? { head: inNulls } : { head: inNulls, tail: `${k.expr} is not null` };
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
