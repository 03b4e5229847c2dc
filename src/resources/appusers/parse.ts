import { AppError } from '../../core/errors';
import { isValidDate, isValidTimestamp } from '../../query/values';
import {
  CONTAINS_FILTERS,
  DEFAULT_ORDERING,
  DEFAULT_PAGE_SIZE,
  EXACT_FILTERS,
  MAX_OFFSET,
  MAX_PAGE_SIZE,
  ORDERING_FIELDS,
  type OrderingField,
} from './fields';

export interface AppUsersQuery {
  page: number;
  pageSize: number;
  ordering: { field: OrderingField; desc: boolean };
  contains: Partial<Record<keyof typeof CONTAINS_FILTERS, string>>;
  exact: Partial<Record<keyof typeof EXACT_FILTERS, string>>;
  birthday?: string;
  pointsMin?: number;
  pointsMax?: number;
  lastActivityAfter?: string;
}

const INT = /^[+]?\d{1,9}$/;
const MAX_FILTER_LENGTH = 200;

/** A parameter's value, trimmed; empty means absent (as the seed). Over-long values are refused, not cut. */
function text(q: Record<string, string | undefined>, key: string): string | undefined {
  const v = q[key]?.trim();
  if (v && v.length > MAX_FILTER_LENGTH) {
    throw new AppError('invalid_query', `${key}: at most ${MAX_FILTER_LENGTH} characters.`, [{ path: key, message: 'value too long' }]);
  }
  return v ? v : undefined;
}

function parsePage(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const v = raw.trim();
  if (v === 'last') return Number.POSITIVE_INFINITY;
  if (!INT.test(v) || Number(v) < 1) {
    throw new AppError('invalid_query', 'page must be a positive integer (or "last").', [{ path: 'page', message: 'expected a positive integer' }]);
  }
  return Number(v);
}

/** Like DRF's PageNumberPagination: a malformed page_size falls back to the default, a large one is capped. */
function parsePageSize(raw: string | undefined): number {
  const v = raw?.trim();
  if (!v || !INT.test(v) || Number(v) < 1) return DEFAULT_PAGE_SIZE;
  return Math.min(Number(v), MAX_PAGE_SIZE);
}

function parseOrdering(raw: string | undefined): AppUsersQuery['ordering'] {
  const v = (raw?.trim() || DEFAULT_ORDERING).split(',')[0].trim();
  const desc = v.startsWith('-');
  const field = desc ? v.slice(1) : v;
  if (!Object.hasOwn(ORDERING_FIELDS, field)) {
    throw new AppError('unknown_field', `Cannot order by "${field.slice(0, 64)}". Allowed: ${Object.keys(ORDERING_FIELDS).join(', ')} (prefix "-" for descending).`, [
      { path: 'ordering', message: 'unknown ordering field' },
    ]);
  }
  return { field: field as OrderingField, desc };
}

/**
 * Reads the seed's parameters. Filter values are trimmed and malformed ones are ignored (the
 * seed's behaviour); page and ordering errors are 400s because silently ignoring them would
 * return a different page than the one asked for.
 */
export function parseAppUsersQuery(q: Record<string, string | undefined>): AppUsersQuery {
  const out: AppUsersQuery = {
    page: parsePage(q.page),
    pageSize: parsePageSize(q.page_size),
    ordering: parseOrdering(q.ordering),
    contains: {},
    exact: {},
  };
  for (const key of Object.keys(CONTAINS_FILTERS) as Array<keyof typeof CONTAINS_FILTERS>) {
    const v = text(q, key);
    if (v) out.contains[key] = v;
  }
  for (const key of Object.keys(EXACT_FILTERS) as Array<keyof typeof EXACT_FILTERS>) {
    const v = text(q, key);
    if (v) out.exact[key] = key === 'gender' ? v.toLowerCase() : v;
  }
  const birthday = text(q, 'birthday');
  if (birthday && isValidDate(birthday)) out.birthday = birthday;
  const pmin = text(q, 'points_min');
  if (pmin && /^-?\d{1,9}$/.test(pmin)) out.pointsMin = Number(pmin);
  const pmax = text(q, 'points_max');
  if (pmax && /^-?\d{1,9}$/.test(pmax)) out.pointsMax = Number(pmax);
  const after = text(q, 'last_activity_after');
  if (after && isValidTimestamp(after)) out.lastActivityAfter = after.length === 10 ? `${after}T00:00:00Z` : after;
  if (Number.isFinite(out.page) && (out.page - 1) * out.pageSize > MAX_OFFSET) {
    throw new AppError('invalid_query', `Pages deeper than ${MAX_OFFSET} rows are not served by offset; page with a cursor on GET /v1/contacts instead.`, [
      { path: 'page', message: 'too deep for offset paging' },
    ]);
  }
  return out;
}
