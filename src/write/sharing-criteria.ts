import { AppError } from '../core/errors';
import { checkFilters } from '../query/check';
import { JSON_OPERATORS, parseQueryBody } from '../query/parse-json';
import type { Catalog } from '../query/resource';
import { OBJECT_RESOURCE, type ObjectType } from '../sharing/types';

const invalid = (path: string, message: string) => new AppError('invalid_body', `${path}: ${message}.`, [{ path, message }]);

/**
 * A criteria rule's `where` tree must pass what a query on the object's resource passes
 * (`POST /v1/{resource}/query`): the JSON dialect's parser, then the resource's whitelist of
 * fields, operators and values. Errors name their place under `criteria`.
 */
export function checkCriteria(catalog: Catalog, objectType: ObjectType, criteria: unknown, root = 'criteria'): void {
  const resource = catalog[OBJECT_RESOURCE[objectType]];
  if (criteria === null || typeof criteria !== 'object' || Array.isArray(criteria))
    throw invalid(root, 'a where tree: {field, operator, value}, {and: [...]}, {or: [...]} or {not: {...}}');
  checkOperators(criteria, root);
  let topField: string | undefined;
  const rebase = (path: string): string => {
    if (topField !== undefined && (path === topField || path.startsWith(`${topField}[`))) return `${root}${path.slice(topField.length)}`;
    // The parser's own paths: `where`, `where.and.0.value` (zod) or `where.and[0]` (the tree).
    if (path === 'where' || path.startsWith('where.') || path.startsWith('where[')) return `${root}${path.slice(5)}`.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    return path;
  };
  try {
    const { where } = parseQueryBody({ where: criteria });
    const [top] = where;
    if (top?.kind === 'cond') topField = top.field;
    checkFilters(resource, where, { catalog, path: root });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const errors = err.errors?.map((e) => ({ ...e, path: rebase(e.path) }));
    const first = err.errors?.[0]?.path;
    const detail =
      first && err.detail.startsWith(`${first}:`)
        ? `${rebase(first)}${err.detail.slice(first.length)}`
        : `${root}: not a valid where tree (${(errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ') || err.detail}).`;
    throw new AppError(err.code, detail, errors, err.headers, err.rule);
  }
}

/**
 * Operators by name before the parser sees them: its union of node shapes would answer an
 * unknown one as a shapeless "invalid input" at the root, where this names the operator.
 */
function checkOperators(node: unknown, path: string, depth = 0): void {
  if (node === null || typeof node !== 'object' || depth > 16) return;
  const n = node as Record<string, unknown>;
  for (const group of ['and', 'or'] as const) {
    const items = n[group];
    if (Object.hasOwn(n, group) && Array.isArray(items)) for (const [i, it] of items.entries()) checkOperators(it, `${path}.${group}[${i}]`, depth + 1);
  }
  if (Object.hasOwn(n, 'not')) checkOperators(n.not, `${path}.not`, depth + 1);
  if (Object.hasOwn(n, 'field') && !(JSON_OPERATORS as readonly unknown[]).includes(n.operator)) {
    const p = `${path}.operator`;
    throw new AppError('unsupported_operator', `${p}: give one of ${JSON_OPERATORS.join(', ')}.`, [{ path: p, message: 'unknown or missing operator' }]);
  }
}
