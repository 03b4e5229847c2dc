import { AppError } from '../core/errors';
import { type Condition, type Filter, LIMITS, type Operator } from './ast';
import { type Catalog, computedOf, type FieldDef, opsOf, type RelationDef, type ResourceDef, relationTarget } from './resource';
import { checkStorable, coerceValue } from './values';

export type CheckedFilter =
  | { kind: 'cond'; name: string; field: FieldDef; op: Operator; value: unknown; not: boolean; config?: string }
  | { kind: 'tags'; op: 'cs' | 'ov'; names: string[]; not: boolean }
  | { kind: 'and' | 'or'; items: CheckedFilter[]; not: boolean }
  /**
   * Some row of the relation's target satisfies `items` (checked against the target; their
   * condition names are qualified, `address.city`, so they never pass for the resource's own).
   */
  | { kind: 'related'; relation: string; def: RelationDef; target: ResourceDef; items: CheckedFilter[]; not: boolean };

const FTS_CONFIGS = new Set(['simple', 'english', 'german', 'french', 'spanish', 'italian', 'portuguese', 'dutch']);
const IS_VALUES = new Set(['null', 'not_null', 'true', 'false', 'unknown']);

/** A LIKE pattern ending in an odd run of backslashes ends in an escape with nothing to escape. */
function endsInEscape(pattern: string): boolean {
  const run = /\\+$/.exec(pattern)?.[0].length ?? 0;
  return run % 2 === 1;
}

export function unknownField(resource: ResourceDef, name: string, path: string): AppError {
  // A computed count is known, but no index holds it: it is selected, never filtered or sorted on.
  if (computedOf(resource, name)) {
    return new AppError('invalid_query', `${path}: ${name} is computed per row: it can be selected (select=…,${name}), not filtered or ordered by.`, [
      { path, message: 'computed column: select only' },
    ]);
  }
  const known = Object.entries(resource.fields)
    .filter(([, f]) => !f.internal)
    .map(([k]) => k);
  return new AppError('unknown_field', `${path}: "${name.slice(0, 64)}" is not a field of ${resource.name}. Fields: ${known.join(', ')}.`, [
    { path, message: 'unknown field' },
  ]);
}

function checkOperator(resource: ResourceDef, name: string, field: FieldDef, op: Operator, path: string): void {
  if (!opsOf(field).includes(op)) {
    throw new AppError('unsupported_operator', `${path}: ${name} does not support "${op}". Allowed: ${opsOf(field).join(', ')}.`, [
      { path, message: `operator ${op} not allowed on ${resource.name}.${name}` },
    ]);
  }
}

function checkValue(field: FieldDef, c: Condition, path: string): unknown {
  switch (c.op) {
    case 'is': {
      const v = String(c.value).toLowerCase();
      if (!IS_VALUES.has(v))
        throw new AppError('invalid_query', `${path}: is. takes null, not_null, empty, not_empty, true, false or unknown.`, [
          { path, message: 'invalid is value' },
        ]);
      if (v !== 'null' && v !== 'not_null' && field.type !== 'bool')
        throw new AppError('invalid_query', `${path}: is.${v} applies to boolean fields only.`, [{ path, message: 'invalid is value' }]);
      return v;
    }
    case 'in': {
      const list = Array.isArray(c.value) ? c.value : [c.value];
      if (list.length > LIMITS.maxInList)
        throw new AppError('invalid_query', `${path}: at most ${LIMITS.maxInList} values in a list.`, [{ path, message: 'list too long' }]);
      return list.map((v, i) => coerceValue(field, v, `${path}[${i}]`));
    }
    case 'like':
    case 'ilike':
    case 'contains':
    case 'startswith':
    case 'endswith':
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts': {
      const v = String(c.value ?? '');
      if (v.length > LIMITS.maxValueLength) throw new AppError('invalid_query', `${path}: value too long.`, [{ path, message: 'value too long' }]);
      checkStorable(v, path);
      if (c.config && !FTS_CONFIGS.has(c.config))
        throw new AppError('invalid_query', `${path}: unknown text search configuration "${c.config}".`, [{ path, message: 'unknown configuration' }]);
      if ((c.op === 'like' || c.op === 'ilike') && endsInEscape(v)) {
        // Postgres refuses a pattern that ends in its escape character (SQLSTATE 22025).
        throw new AppError('invalid_query', `${path}: a ${c.op} pattern cannot end in a lone backslash; write \\\\ for a literal one.`, [
          { path, message: 'pattern ends in an escape' },
        ]);
      }
      return v;
    }
    default:
      return coerceValue(field, c.value, path);
  }
}

function checkCondition(resource: ResourceDef, c: Condition, path: string): CheckedFilter {
  if (c.field === 'tags' && resource.tagLinks) {
    if (c.op !== 'cs' && c.op !== 'ov' && c.op !== 'in' && c.op !== 'eq') {
      throw new AppError('unsupported_operator', `${path}: tags supports cs (has all), ov / in (has any) and eq (has).`, [
        { path, message: 'unsupported operator on tags' },
      ]);
    }
    const list = (Array.isArray(c.value) ? c.value : [c.value]).map(String);
    if (!list.length || list.length > 20) throw new AppError('invalid_query', `${path}: give 1 to 20 tag names.`, [{ path, message: 'bad tag list' }]);
    for (const name of list) checkStorable(name, path);
    return { kind: 'tags', op: c.op === 'cs' || c.op === 'eq' ? 'cs' : 'ov', names: list, not: !!c.not };
  }
  // Own names only: `constructor` or `__proto__` must not find Object.prototype's members.
  const members = resource.compound && Object.hasOwn(resource.compound, c.field) ? resource.compound[c.field] : undefined;
  if (members) {
    // name → first_name OR last_name: the same condition on each member field.
    return { kind: 'or', not: !!c.not, items: members.map((m) => checkCondition(resource, { ...c, field: m, not: false }, path)) };
  }
  const field = Object.hasOwn(resource.fields, c.field) ? resource.fields[c.field] : undefined;
  if (!field) throw unknownField(resource, c.field, path);
  checkOperator(resource, c.field, field, c.op, path);
  const blank = c.op === 'is' ? String(c.value).toLowerCase() : '';
  if (blank === 'empty' || blank === 'not_empty') return emptiness(c, field, blank === 'empty');
  return { kind: 'cond', name: c.field, field, op: c.op, value: checkValue(field, c, path), not: !!c.not, config: c.config };
}

/**
 * `is.empty` / `is.not_empty` (the JSON form's isEmpty / isNotEmpty): no value at all, or,
 * for text, the empty string too. A date or a number is never '', so there it is `is null`.
 */
function emptiness(c: Condition, field: FieldDef, empty: boolean): CheckedFilter {
  const none: CheckedFilter = { kind: 'cond', name: c.field, field, op: 'is', value: empty ? 'null' : 'not_null', not: false };
  if (field.type !== 'text') return { ...none, not: !!c.not };
  const blank: CheckedFilter = { kind: 'cond', name: c.field, field, op: empty ? 'eq' : 'neq', value: '', not: false };
  return { kind: empty ? 'or' : 'and', items: [none, blank], not: !!c.not };
}

/** `address.city` for a condition reached through the relation `address`. */
function qualify(f: CheckedFilter, relation: string): CheckedFilter {
  if (f.kind === 'cond') return { ...f, name: `${relation}.${f.name}` };
  if (f.kind === 'tags') return f;
  return { ...f, items: f.items.map((it) => qualify(it, relation)) };
}

function relatedTarget(resource: ResourceDef, catalog: Catalog | undefined, relation: string, path: string): { def: RelationDef; target: ResourceDef } {
  const def = Object.hasOwn(resource.relations, relation) ? resource.relations[relation] : undefined;
  if (!def) {
    throw new AppError(
      'unknown_field',
      `${path}: "${relation.slice(0, 64)}" is not a relation of ${resource.name}. Relations: ${Object.keys(resource.relations).join(', ') || 'none'}.`,
      [{ path, message: 'unknown relation' }],
    );
  }
  if (!catalog) throw new Error('a related condition needs the catalog to resolve its relation');
  const target = relationTarget(catalog, def);
  // The semi-join names the target by its alias inside the resource's statement.
  if (target.alias === resource.alias) throw new Error(`relation ${resource.name}.${relation}: the target's alias is the resource's own`);
  return { def, target };
}

/**
 * Validates the filter tree against the resource's whitelist and coerces every value. Related
 * conditions are checked against their relation's target, resolved through `catalog`.
 */
export function checkFilters(resource: ResourceDef, filters: Filter[], opts: { catalog?: Catalog; path?: string } = {}): CheckedFilter[] {
  const path = opts.path ?? 'where';
  let terms = 0;
  const walk = (on: ResourceDef, f: Filter, p: string, depth: number): CheckedFilter => {
    if (depth > LIMITS.maxDepth) throw new AppError('invalid_query', `${p}: nesting deeper than ${LIMITS.maxDepth}.`, [{ path: p, message: 'too deep' }]);
    if (f.kind === 'cond') {
      if (++terms > LIMITS.maxTerms) throw new AppError('invalid_query', `At most ${LIMITS.maxTerms} filter terms.`, [{ path: p, message: 'too many terms' }]);
      return checkCondition(on, f, p);
    }
    if (!f.items.length) throw new AppError('invalid_query', `${p}: an empty ${f.kind} group.`, [{ path: p, message: 'empty group' }]);
    if (f.kind === 'related') {
      const { def, target } = relatedTarget(on, opts.catalog, f.relation, p);
      const items = f.items.map((it, i) => qualify(walk(target, it, `${p}.${f.relation}[${i}]`, depth + 1), f.relation));
      return { kind: 'related', relation: f.relation, def, target, items, not: !!f.not };
    }
    return { kind: f.kind, not: !!f.not, items: f.items.map((it, i) => walk(on, it, `${p}.${f.kind}[${i}]`, depth + 1)) };
  };
  return filters.map((f, i) => walk(resource, f, topPath(filters, i, path), 1));
}

/**
 * The path errors give a top-level filter: a condition is named by its field (the query-string
 * parameter), a group by its place in `where`.
 */
function topPath(filters: readonly Filter[], i: number, root: string): string {
  const f = filters[i];
  if (f.kind === 'cond') return f.field;
  return filters.length > 1 ? `${root}[${i}]` : root;
}

/**
 * The path checkFilters gives the first condition `pick` selects (depth first, in order), for
 * errors only Postgres can find in a value (execute.ts): the same path a check error would name.
 */
export function conditionPath(filters: readonly Filter[], pick: (c: Condition) => boolean, root = 'where'): string | undefined {
  const find = (f: Filter, p: string): string | undefined => {
    if (f.kind === 'cond') return pick(f) ? p : undefined;
    const step = f.kind === 'related' ? f.relation : f.kind;
    for (const [i, it] of f.items.entries()) {
      const found = find(it, `${p}.${step}[${i}]`);
      if (found) return found;
    }
    return undefined;
  };
  for (let i = 0; i < filters.length; i++) {
    const found = find(filters[i], topPath(filters, i, root));
    if (found) return found;
  }
  return undefined;
}
