import { z } from 'zod';
import { AppError } from '../core/errors';
import { type Filter, LIMITS, type ListRequest } from './ast';
import { parseSelect } from './parse-query-string';

/** The seeds' operator names (AdvancedFilterMixin) → the AST's operators. */
export const JSON_OPERATORS = [
  'equals',
  'notEquals',
  'contains',
  'startsWith',
  'endsWith',
  'isEmpty',
  'isNotEmpty',
  'greaterThan',
  'greaterThanOrEqual',
  'lessThan',
  'lessThanOrEqual',
  'between',
  'in',
  'notIn',
  // Also accepted: the query-string dialect's full-text and tag operators.
  'search',
  'hasAll',
  'hasAny',
] as const;

const Scalar = z.union([z.string().max(LIMITS.maxValueLength), z.number(), z.boolean()]);

const ConditionSchema = z.strictObject({
  field: z.string().min(1).max(64),
  operator: z.enum(JSON_OPERATORS),
  value: z.union([Scalar, z.array(Scalar).max(LIMITS.maxInList), z.null()]).optional(),
});

type Where = z.infer<typeof ConditionSchema> | { and: Where[] } | { or: Where[] } | { not: Where };

const WhereSchema: z.ZodType<Where> = z.lazy(() =>
  z.union([
    ConditionSchema,
    z.strictObject({ and: z.array(WhereSchema).min(1).max(LIMITS.maxTerms) }),
    z.strictObject({ or: z.array(WhereSchema).min(1).max(LIMITS.maxTerms) }),
    z.strictObject({ not: WhereSchema }),
  ]),
);

export const QueryBodySchema = z.strictObject({
  where: WhereSchema.optional(),
  orderBy: z
    .array(z.strictObject({ field: z.string().min(1).max(64), direction: z.enum(['asc', 'desc']).default('asc'), nulls: z.enum(['first', 'last']).optional() }))
    .max(LIMITS.maxOrderTerms)
    .optional(),
  select: z.string().max(2000).optional(),
  limit: z.number().int().min(0).max(LIMITS.maxLimit).default(LIMITS.defaultLimit),
  cursor: z.string().max(5000).optional(),
  offset: z.number().int().min(0).optional(),
  count: z.enum(['exact', 'planned', 'estimated']).optional(),
  q: z.string().max(LIMITS.maxQueryLength).optional(),
  searchMode: z.enum(['auto', 'fts', 'trigram', 'fuzzy', 'prefix']).default('auto'),
  deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
});
export type QueryBody = z.infer<typeof QueryBodySchema>;

/**
 * The body as documented in OpenAPI: `where` is recursive, which the document generator cannot
 * expand, so it is described in prose there and validated by QueryBodySchema in the handler.
 */
export const QueryBodyDocSchema = QueryBodySchema.extend({
  where: z
    .unknown()
    .optional()
    .describe(`{field, operator, value} | {and: [...]} | {or: [...]} | {not: {...}}; operators: ${JSON_OPERATORS.join(', ')}`),
});

/**
 * Arrays and objects a query body may nest. The dialect needs at most 9 (a `where` tree
 * LIMITS.maxDepth deep); zod's checks recurse once per level, so a deeper body is refused
 * before them instead of overflowing the stack.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed value nests arrays and objects deeper than `max`, walked without recursion. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return false;
}

const list = (v: unknown) => (Array.isArray(v) ? v : [v]);

function toFilter(w: Where, path: string, depth: number): Filter {
  if (depth > LIMITS.maxDepth) throw new AppError('invalid_query', `${path}: nesting deeper than ${LIMITS.maxDepth}.`, [{ path, message: 'too deep' }]);
  if ('and' in w) return { kind: 'and', items: w.and.map((x, i) => toFilter(x, `${path}.and[${i}]`, depth + 1)) };
  if ('or' in w) return { kind: 'or', items: w.or.map((x, i) => toFilter(x, `${path}.or[${i}]`, depth + 1)) };
  if ('not' in w) {
    // Negation flips: {not: {not: X}} is X, and {not: {notEquals: …}} an equality.
    const inner = toFilter(w.not, `${path}.not`, depth + 1);
    return { ...inner, not: !inner.not } as Filter;
  }
  const { field, operator, value } = w;
  const cond = (op: Extract<Filter, { kind: 'cond' }>['op'], v: unknown, not = false): Filter => ({ kind: 'cond', field, op, value: v, not });
  const needs = () => {
    if (value === undefined || value === null)
      throw new AppError('invalid_query', `${path}: ${operator} needs a value.`, [{ path: `${path}.value`, message: 'value required' }]);
  };
  switch (operator) {
    // Resolved by field type when checked: text may also be '', other types only NULL.
    case 'isEmpty':
      return cond('is', 'empty');
    case 'isNotEmpty':
      return cond('is', 'not_empty');
    case 'between': {
      const v = list(value);
      if (v.length !== 2)
        throw new AppError('invalid_query', `${path}: between takes [low, high].`, [{ path: `${path}.value`, message: 'expected two values' }]);
      return { kind: 'and', items: [cond('gte', v[0]), cond('lte', v[1])] };
    }
    default:
      needs();
  }
  switch (operator) {
    case 'equals':
      return cond('eq', value);
    case 'notEquals':
      return cond('neq', value);
    case 'contains':
      return cond('contains', value);
    case 'startsWith':
      return cond('startswith', value);
    case 'endsWith':
      return cond('endswith', value);
    case 'greaterThan':
      return cond('gt', value);
    case 'greaterThanOrEqual':
      return cond('gte', value);
    case 'lessThan':
      return cond('lt', value);
    case 'lessThanOrEqual':
      return cond('lte', value);
    case 'in':
      return cond('in', list(value));
    case 'notIn':
      return cond('in', list(value), true);
    case 'search':
      return cond('wfts', value);
    case 'hasAll':
      return cond('cs', list(value));
    case 'hasAny':
      return cond('ov', list(value));
  }
  throw new AppError('unsupported_operator', `${path}: unknown operator.`, [{ path, message: 'unknown operator' }]);
}

/** The JSON form → the same ListRequest the query string produces. */
export function parseQueryBody(body: unknown): ListRequest {
  if (nestsDeeperThan(body, MAX_BODY_DEPTH))
    throw new AppError('invalid_body', `The body nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels.`, [
      { path: '(root)', message: `deeper than ${MAX_BODY_DEPTH} levels` },
    ]);
  const parsed = QueryBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new AppError(
      'invalid_body',
      'The query body did not pass validation.',
      parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  const b = parsed.data;
  return {
    where: b.where ? [toFilter(b.where, 'where', 1)] : [],
    order: b.orderBy?.map((o) => ({ field: o.field, dir: o.direction, nulls: o.nulls })) ?? [],
    select: b.select ? parseSelect(b.select) : undefined,
    limit: b.limit,
    cursor: b.cursor,
    offset: b.offset,
    count: b.count,
    q: b.q,
    search: b.searchMode,
    deleted: b.deleted,
  };
}
