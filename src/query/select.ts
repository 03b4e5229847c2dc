import { AppError } from '../core/errors';
import { LIMITS, type SelectTree } from './ast';
import { unknownField } from './check';
import { isoSql } from './params';
import { type Catalog, type ComputedDef, computedOf, type FieldDef, type RelationDef, type ResourceDef, relationOrder, relationTarget } from './resource';

/** How a field is rendered to JSON: ISO-8601 UTC timestamps, dates and decimals as text. */
export function renderSql(expr: string, f: FieldDef): string {
  if (f.type === 'timestamp') return isoSql(expr);
  if (f.type === 'date' || f.type === 'numeric') return `${expr}::text`;
  return expr;
}

export interface Projection {
  /** `name → field` of the columns returned, in order (the name is the alias where one was given). */
  columns: Array<[string, FieldDef]>;
  /** Computed columns (a per-row count, ComputedDef): `key` is what the answer calls it, `name` the column's own. */
  computed: Array<{ key: string; name: string; def: ComputedDef; target: ResourceDef }>;
  /** `name` is the relation's own; `key` is what the answer calls it (its alias, or its name). */
  relations: Array<{ name: string; key: string; def: RelationDef; target: ResourceDef; fields: Array<[string, FieldDef]> }>;
}

/**
 * A name the answer may use for a column or relation. It is written into the statement as a
 * quoted identifier and a JSON key, so only letters, digits and `_` (starting with a letter, at
 * most 63 characters: Postgres' identifier length) are taken; `__` names are the compiler's own.
 */
const ALIAS = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

function checkAlias(alias: string, path: string): string {
  if (!ALIAS.test(alias)) {
    throw new AppError(
      'invalid_query',
      `${path}: "${alias.slice(0, 64)}" cannot be an alias; use letters, digits and _ (starting with a letter, at most 63).`,
      [{ path, message: 'invalid alias' }],
    );
  }
  return alias;
}

/** Each name the answer uses once: `select=id,id:first_name` would hide one of them. */
function namedTwice(key: string, path: string): AppError {
  return new AppError('invalid_query', `${path}: "${key}" is named twice in the answer; give one of them another alias.`, [
    { path, message: 'duplicate name' },
  ]);
}

type Picked = { columns: Array<[string, FieldDef]>; computed: Projection['computed'] };

/**
 * The columns a select names (the default projection for none or `*`), and, on the resource's
 * own rows (`computed`), its computed columns; an embed names columns only.
 */
function pickFields(catalog: Catalog, resource: ResourceDef, names: readonly string[], path: string, computed: boolean): Picked {
  const defaults =
    resource.defaultSelect ??
    Object.entries(resource.fields)
      .filter(([, f]) => !f.internal && !f.hidden)
      .map(([k]) => k);
  const out = new Map<string, FieldDef>();
  const counts = new Map<string, Projection['computed'][number]>();
  const add = (key: string, f: FieldDef) => {
    // The same column asked for twice under one name is one column; two columns under one name clash.
    if ((out.has(key) && out.get(key) !== f) || counts.has(key)) throw namedTwice(key, path);
    out.set(key, f);
  };
  for (const written of names.length ? names : ['*']) {
    if (written === '*') {
      for (const d of defaults) add(d, resource.fields[d]);
      continue;
    }
    const colon = written.indexOf(':');
    const n = colon < 0 ? written : written.slice(colon + 1).trim();
    const key = colon < 0 ? n : checkAlias(written.slice(0, colon).trim(), path);
    const f = Object.hasOwn(resource.fields, n) ? resource.fields[n] : undefined;
    const def = f ? undefined : computedOf(resource, n);
    if (def) {
      if (!computed) throw computedInEmbed(resource, n, path);
      const same = counts.get(key);
      if (out.has(key) || (same && same.name !== n)) throw namedTwice(key, path);
      counts.set(key, { key, name: n, def, target: relationTarget(catalog, def) });
      continue;
    }
    if (!f || f.internal) throw unknownField(resource, n, path);
    add(key, f);
  }
  return { columns: [...out], computed: [...counts.values()] };
}

function computedInEmbed(resource: ResourceDef, name: string, path: string): AppError {
  return new AppError(
    'invalid_query',
    `${path}: ${name} is computed on ${resource.name}' own rows only; list ${resource.name} with select=…,${name} to get it.`,
    [{ path, message: 'computed column in an embed' }],
  );
}

export function resolveProjection(catalog: Catalog, resource: ResourceDef, tree: SelectTree | undefined): Projection {
  // Each embed is a subquery per row: counted before anything is resolved (the same relation
  // under many aliases is many embeds).
  const embeds = tree?.relations.length ?? 0;
  if (embeds > LIMITS.maxEmbeds) {
    throw new AppError('invalid_query', `select: at most ${LIMITS.maxEmbeds} embedded relations per request (each alias counts); got ${embeds}.`, [
      { path: 'select', message: 'too many embedded relations' },
    ]);
  }
  const { columns, computed } = pickFields(catalog, resource, tree?.fields ?? [], 'select', true);
  const used = new Set([...columns.map(([n]) => n), ...computed.map((c) => c.key)]);
  const relations = (tree?.relations ?? []).map((r, i) => {
    const def = Object.hasOwn(resource.relations, r.name) ? resource.relations[r.name] : undefined;
    if (!def) {
      throw new AppError(
        'unknown_field',
        `select: "${r.name.slice(0, 64)}" is not a relation of ${resource.name}. Relations: ${Object.keys(resource.relations).join(', ') || 'none'}.`,
        [{ path: `select.${r.name}`, message: 'unknown relation' }],
      );
    }
    const path = `select.${r.name}`;
    const key = r.alias !== undefined ? checkAlias(r.alias, path) : r.name;
    if (used.has(key)) throw namedTwice(key, path);
    used.add(key);
    const target = relationTarget(catalog, def);
    return { name: r.name, key, def, target, fields: pickFields(catalog, target, r.fields, `select.${r.name}[${i}]`, false).columns };
  });
  return { columns, computed, relations };
}

function jsonObject(alias: string, fields: Array<[string, FieldDef]>): string {
  return `json_build_object(${fields.map(([n, f]) => `'${n}', ${renderSql(`${alias}.${f.column}`, f)}`).join(', ')})`;
}

/** The caller's access condition on a resource's rows, over that resource's alias (access.ts); null: no limit. */
export type EmbedAccess = (target: ResourceDef) => string | null;

/**
 * One embedded relation as a scalar subquery over the page's rows (never N+1 round trips). With
 * `access`, an embedded row the caller may not read is left out as if it did not exist.
 */
export function relationSql(pageAlias: string, rel: Projection['relations'][number], index: number, access?: EmbedAccess): string {
  const target = rel.target;
  // Distinct from every resource alias, so an embed never shadows the page's columns.
  const r = `rel${index}`;
  const visible = access?.(target);
  // The condition is written over the target's own alias: checked on the row by its key.
  const readable = visible
    ? ` and exists (select 1 from ${target.table} ${target.alias} where ${target.alias}.id = ${r}.id and ${target.alias}.org_id = $1 and ${visible})`
    : '';
  const live = `${target.softDelete ? ` and ${r}.deleted_at is null` : ''}${readable}`;
  const obj = jsonObject(r, rel.fields);
  if (rel.def.kind === 'one') {
    return `(select ${obj} from ${target.table} ${r} where ${r}.id = ${pageAlias}.${rel.def.localKey} and ${r}.org_id = $1${live}) as "${rel.key}"`;
  }
  const limit = rel.def.limit ?? 100;
  const order = relationOrder(rel.def);
  const orderBy = `${r}.${order.column} ${order.dir}`;
  if (rel.def.through) {
    const t = rel.def.through;
    return `(select coalesce(json_agg(${obj}), '[]'::json) from (select ${r}.* from ${t.table} link${index} join ${target.table} ${r} on ${r}.id = link${index}.${t.targetKey} and ${r}.org_id = $1${live}
      where link${index}.${t.localKey} = ${pageAlias}.id and link${index}.org_id = $1 order by ${orderBy} limit ${limit}) ${r}) as "${rel.key}"`;
  }
  return `(select coalesce(json_agg(${obj}), '[]'::json) from (select * from ${target.table} ${r} where ${r}.${rel.def.foreignKey} = ${pageAlias}.id and ${r}.org_id = $1${live}
    order by ${orderBy} limit ${limit}) ${r}) as "${rel.key}"`;
}

/**
 * A computed count as a scalar subquery over the page's row (served by the target's index on
 * its foreign key): the target's live rows pointing at it that the caller may read. The
 * condition is written over the target's own alias, which the subquery binds.
 */
export function computedSql(pageAlias: string, c: Projection['computed'][number], access?: EmbedAccess): string {
  const t = c.target;
  const a = t.alias;
  // The target's alias must not hide the page's: `${pageAlias}.id` is the page row's.
  if (a === pageAlias) throw new Error(`computed ${c.name}: ${t.name}' alias "${a}" is the page's`);
  const visible = access?.(t);
  const where = [
    `${a}.org_id = $1`,
    `${a}.${c.def.foreignKey} = ${pageAlias}.id`,
    ...(t.softDelete ? [`${a}.deleted_at is null`] : []),
    ...(visible ? [visible] : []),
  ];
  return `(select count(*) from ${t.table} ${a} where ${where.join(' and ')})::int as "${c.key}"`;
}

/** The answer's keys in the order rows carry them: columns, computed columns, relations (what an export's header names). */
export function projectionKeys(p: Projection): string[] {
  return [...p.columns.map(([n]) => n), ...p.computed.map((c) => c.key), ...p.relations.map((r) => r.key)];
}

/** Columns the page subquery must carry: projected ones, order keys, and relation keys. */
export function neededColumns(projection: Projection, orderColumns: string[]): string[] {
  const cols = new Set<string>(['id']);
  for (const [, f] of projection.columns) cols.add(f.column);
  for (const c of orderColumns) cols.add(c);
  for (const rel of projection.relations) if (rel.def.kind === 'one' && rel.def.localKey) cols.add(rel.def.localKey);
  return [...cols];
}
