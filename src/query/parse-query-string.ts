import { AppError } from '../core/errors';
import {
  type CountMode,
  type DeletedMode,
  type Filter,
  LIMITS,
  type ListRequest,
  OPERATORS,
  type Operator,
  type OrderTerm,
  SEARCH_MODES,
  type SearchMode,
  type SelectTree,
} from './ast';
import { parseList, splitTopLevel, unquote } from './split';

/** Parameters with a meaning of their own; every other key is a filter on a field. */
export const RESERVED = new Set([
  'select',
  'order',
  'limit',
  'offset',
  'cursor',
  'q',
  'search_mode',
  'deleted',
  'count',
  'or',
  'and',
  'not.or',
  'not.and',
  'columns',
  'on_conflict',
]);

const invalid = (path: string, message: string, detail?: string) => new AppError('invalid_query', detail ?? `${path}: ${message}.`, [{ path, message }]);

const FTS = /^(fts|plfts|phfts|wfts)(?:\(([a-z_]+)\))?$/;
/** PostgREST's quantified operators: `ilike(any).{a*,b*}` is one condition per value, ORed (`all`: ANDed). */
const QUANTIFIED = /^(eq|neq|gt|gte|lt|lte|like|ilike)\((any|all)\)$/;

/** `op.value` or `not.op.value` for one field (PostgREST's horizontal filtering). */
export function parseCondition(field: string, expr: string, path: string): Filter {
  let rest = expr;
  let not = false;
  if (rest.startsWith('not.')) {
    not = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  if (dot < 0) throw invalid(path, 'expected operator.value', `${path}: expected "operator.value" (e.g. eq.5), got "${expr.slice(0, 40)}".`);
  const opToken = rest.slice(0, dot);
  const value = rest.slice(dot + 1);
  const quantified = QUANTIFIED.exec(opToken);
  if (quantified) {
    const values = parseList(value, path);
    if (!values.length) throw invalid(path, `${opToken} needs at least one value`);
    const items: Filter[] = values.map((v) => ({ kind: 'cond', field, op: quantified[1] as Operator, value: v, not: false }));
    return { kind: quantified[2] === 'any' ? 'or' : 'and', items, not };
  }
  const fts = FTS.exec(opToken);
  if (fts) return { kind: 'cond', field, op: fts[1] as Operator, value, not, ...(fts[2] ? { config: fts[2] } : {}) };
  if (!(OPERATORS as readonly string[]).includes(opToken)) {
    throw new AppError(
      'unsupported_operator',
      `${path}: unknown operator "${opToken.slice(0, 20)}". Operators: ${OPERATORS.join(', ')}; eq, neq, gt, gte, lt, lte, like and ilike also take (any) or (all) with a {list}.`,
      [{ path, message: 'unknown operator' }],
    );
  }
  const op = opToken as Operator;
  if (op === 'in' || op === 'cs' || op === 'ov') return { kind: 'cond', field, op, value: parseList(value, path), not };
  return { kind: 'cond', field, op, value: unquote(value), not };
}

/** `or=(a.eq.1,and(b.gt.2,c.is.null))` — logic trees, nested. */
export function parseLogic(kind: 'and' | 'or', not: boolean, raw: string, path: string, depth = 1): Filter {
  if (depth > LIMITS.maxDepth) throw invalid(path, `nesting deeper than ${LIMITS.maxDepth}`);
  if (!raw.startsWith('(') || !raw.endsWith(')')) throw invalid(path, 'expected a parenthesised list of conditions');
  const items = splitTopLevel(raw.slice(1, -1), ',', path).map((part, i) => {
    const p = `${path}[${i}]`;
    const m = /^(not\.)?(and|or)(\(.*\))$/s.exec(part.trim());
    if (m) return parseLogic(m[2] as 'and' | 'or', !!m[1], m[3], p, depth + 1);
    const t = part.trim();
    const dot = t.indexOf('.');
    if (dot <= 0) throw invalid(p, 'expected field.operator.value');
    return parseCondition(t.slice(0, dot), t.slice(dot + 1), p);
  });
  return { kind, items, not };
}

export function parseOrder(raw: string): OrderTerm[] {
  const terms = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (terms.length > LIMITS.maxOrderTerms) throw invalid('order', `at most ${LIMITS.maxOrderTerms} terms`);
  return terms.map((term, i) => {
    const [field, ...mods] = term.split('.');
    const out: OrderTerm = { field, dir: 'asc' };
    for (const m of mods) {
      if (m === 'asc' || m === 'desc') out.dir = m;
      else if (m === 'nullsfirst') out.nulls = 'first';
      else if (m === 'nullslast') out.nulls = 'last';
      else throw invalid(`order[${i}]`, `unknown modifier "${m.slice(0, 20)}" (asc, desc, nullsfirst, nullslast)`);
    }
    return out;
  });
}

export function parseSelect(raw: string): SelectTree {
  const tree: SelectTree = { fields: [], relations: [] };
  for (const part of splitTopLevel(raw, ',', 'select')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(?:([^():,]+):)?([A-Za-z_][A-Za-z0-9_]*)(!inner)?\((.*)\)$/s.exec(part);
    if (m?.[3]) {
      // PostgREST's inner embedding drops the rows without a match; ignoring it would answer
      // rows the client meant to exclude.
      throw invalid(
        `select.${m[2]}`,
        `!inner is not supported; to drop rows without a match, filter on the key that points to it (e.g. primary_company_id=not.is.null for a contact's company)`,
      );
    }
    if (m) {
      const inner = m[4].trim();
      const fields = inner === '' || inner === '*' ? [] : inner.split(',').map((f) => f.trim());
      tree.relations.push({ name: m[2], ...(m[1] !== undefined ? { alias: m[1].trim() } : {}), fields });
    } else if (part === '*') {
      tree.fields.push('*');
    } else {
      tree.fields.push(part);
    }
  }
  return tree;
}

function parseInt10(raw: string, path: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(raw)) throw invalid(path, `expected an integer between ${min} and ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw invalid(path, `expected an integer between ${min} and ${max}`);
  return n;
}

function oneOf<T extends string>(raw: string | undefined, allowed: readonly T[], path: string, fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(path, `expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/** `Prefer: count=exact` (PostgREST); other preferences are ignored here. */
export function countFromPrefer(prefer: string | undefined): CountMode | undefined {
  const m = /(?:^|[,\s;])count=(exact|planned|estimated)\b/.exec(prefer ?? '');
  return m ? (m[1] as CountMode) : undefined;
}

/** `Prefer: handling=strict|lenient` (PostgREST): strict requires what was asked (an exact count); lenient is the default. */
export function handlingFromPrefer(prefer: string | undefined): 'strict' | 'lenient' {
  const m = /(?:^|[,\s;])handling=(strict|lenient)\b/.exec(prefer ?? '');
  return m?.[1] === 'strict' ? 'strict' : 'lenient';
}

/** The query-string dialect → ListRequest. Pairs keep their order; repeated fields AND together. */
export function parseQueryString(params: URLSearchParams, prefer?: string): ListRequest {
  const req: ListRequest = { where: [], order: [], limit: LIMITS.defaultLimit, search: 'auto', deleted: 'exclude' };
  let terms = 0;
  for (const [key, value] of params) {
    // A parameter, not a payload: a 400 naming it (the URL as a whole is bounded by a 414).
    if (value.length > 4 * LIMITS.maxValueLength && key !== 'select')
      throw new AppError('invalid_query', `${key}: at most ${4 * LIMITS.maxValueLength} characters.`, [
        { path: key, message: `at most ${4 * LIMITS.maxValueLength} characters` },
      ]);
    switch (key) {
      case 'select':
        req.select = parseSelect(value);
        break;
      case 'order':
        req.order = parseOrder(value);
        break;
      case 'limit':
        req.limit = parseInt10(value, 'limit', 0, LIMITS.maxLimit);
        break;
      case 'offset':
        req.offset = parseInt10(value, 'offset', 0, 999_999_999);
        break;
      case 'cursor':
        req.cursor = value;
        break;
      case 'q':
        req.q = value;
        break;
      case 'search_mode':
        req.search = oneOf<SearchMode>(value, SEARCH_MODES, 'search_mode', 'auto');
        break;
      case 'deleted':
        req.deleted = oneOf<DeletedMode>(value, ['exclude', 'include', 'only'], 'deleted', 'exclude');
        break;
      case 'count':
        req.count = oneOf<CountMode>(value, ['exact', 'planned', 'estimated'], 'count', 'exact');
        break;
      case 'or':
      case 'and':
      case 'not.or':
      case 'not.and': {
        const not = key.startsWith('not.');
        req.where.push(parseLogic(key.replace('not.', '') as 'and' | 'or', not, value, key));
        break;
      }
      default:
        if (RESERVED.has(key)) break;
        if (key.includes('.')) {
          // PostgREST's `company.name=eq.x`, `stages.order=…`, `stages.limit=…`: fields have no dots.
          const relation = key.slice(0, key.indexOf('.')).slice(0, 64);
          throw invalid(
            key.slice(0, 80),
            'not supported',
            `${key.slice(0, 80)}: filters, order and limits on an embedded relation (${relation}) are not supported; filter and order on the resource's own fields.`,
          );
        }
        req.where.push(parseCondition(key, value, key));
    }
    terms++;
    if (terms > LIMITS.maxTerms * 2) throw invalid('query', `too many parameters (max ${LIMITS.maxTerms * 2})`);
  }
  req.count ??= countFromPrefer(prefer);
  if (handlingFromPrefer(prefer) === 'strict') req.handling = 'strict';
  return req;
}
