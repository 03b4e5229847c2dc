import type { GENDERS } from '../../core/enums';
import { AppError } from '../../core/errors';
import { isValidDate, isValidTimestamp } from '../../query/values';
import {
  ADDRESS_CONTAINS,
  CONTACT_CONTAINS,
  DEFAULT_ORDERING,
  DEFAULT_PAGE_SIZE,
  GENDER_LABELS,
  MAX_PAGE_SIZE,
  ORDERING_FIELDS,
  type OrderingField,
} from './fields';

type Gender = (typeof GENDERS)[number];

/** The service's filters, as its `build_appuser_filters` reads them (only those given). */
export interface AppUsersFilters {
  first_name?: string;
  last_name?: string;
  phone_number?: string;
  city?: string;
  street?: string;
  country?: string;
  /** The database's value; `null` for a value that is none of the choices: nothing matches it. */
  gender?: Gender | null;
  customer_id?: string;
  /** YYYY-MM-DD. */
  birthday?: string;
  /** Any integer; the compiler clamps it to the column's range. */
  points_min?: number;
  points_max?: number;
  /** ISO 8601 instant. */
  last_activity_after?: string;
}

export interface AppUsersQuery {
  /** 1-based page number, or `last`. */
  page: number | 'last';
  pageSize: number;
  /** Every valid `ordering` term, in order (never empty: `-created` by default). */
  ordering: Array<{ field: OrderingField; desc: boolean }>;
  filters: AppUsersFilters;
}

const MAX_FILTER_LENGTH = 200;
/** What Python's int() reads (the page number, page_size, points): an optional sign and digits. */
const PY_INT = /^[+-]?\d+$/;

/** DRF's answer to any page it cannot serve: not an integer, below 1, or past the last page. */
export function invalidPage(): AppError {
  return new AppError('not_found', 'Invalid page.');
}

/**
 * A parameter's value, trimmed; empty means absent (as the seed). Over-long values are refused, not
 * cut. A value with a NUL character, which no Postgres text can hold, is malformed: ignored.
 */
function text(q: Record<string, string | undefined>, key: string): string | undefined {
  const v = q[key]?.trim();
  if (v && v.length > MAX_FILTER_LENGTH) {
    throw new AppError('invalid_query', `${key}: at most ${MAX_FILTER_LENGTH} characters.`, [{ path: key, message: 'value too long' }]);
  }
  return v && !v.includes('\u0000') ? v : undefined;
}

/**
 * DRF's PageNumberPagination with Django's Paginator: absent or empty is page 1, `last` is the
 * last page, and anything that is not an integer of at least 1 is a 404 "Invalid page." (a page
 * past the last is found out once the count is known: service.ts).
 */
function parsePage(raw: string | undefined): number | 'last' {
  if (raw === undefined || raw === '') return 1;
  if (raw === 'last') return 'last';
  const v = raw.trim();
  if (!PY_INT.test(v) || Number(v) < 1) throw invalidPage();
  return Number(v);
}

/** DRF's `_positive_int(strict=True, cutoff=max_page_size)`: a malformed or non-positive value falls back to the default, a large one is capped. */
function parsePageSize(raw: string | undefined): number {
  const v = raw?.trim();
  if (!v || !PY_INT.test(v) || Number(v) < 1) return DEFAULT_PAGE_SIZE;
  return Math.min(Number(v), MAX_PAGE_SIZE);
}

/**
 * DRF's OrderingFilter: comma-separated terms, each a field with `-` for descending; unknown
 * fields are dropped, and with none left the view's default (`-created`). A field given twice
 * counts once (its later mentions cannot change the order), and nothing after `id` can either.
 */
function parseOrdering(raw: string | undefined): AppUsersQuery['ordering'] {
  const out: AppUsersQuery['ordering'] = [];
  for (const term of (raw ?? '').split(',').map((t) => t.trim())) {
    const desc = term.startsWith('-');
    const field = desc ? term.slice(1) : term;
    if (!Object.hasOwn(ORDERING_FIELDS, field) || out.some((o) => o.field === field)) continue;
    out.push({ field: field as OrderingField, desc });
    if (field === 'id') break;
  }
  return out.length ? out : [...DEFAULT_ORDERING];
}

/** The model's gender choices, without regard to case, and `unknown` (what this service answered before it spoke the labels). */
const GENDER_BY_NAME = new Map<string, Gender>([
  ...Object.entries(GENDER_LABELS).map(([value, label]) => [label.toLowerCase(), value as Gender] as const),
  ['unknown', 'unknown'],
]);

/** Python's `strptime(v, "%Y-%m-%d")`: month and day may drop their leading zero. Normalised to YYYY-MM-DD. */
function parseDate(v: string | undefined): string | undefined {
  const m = v ? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v) : null;
  if (!m) return undefined;
  const date = `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  return isValidDate(date) ? date : undefined;
}

function parseInteger(v: string | undefined): number | undefined {
  return v !== undefined && PY_INT.test(v) ? Number(v) : undefined;
}

/**
 * Reads the service's parameters with its rules: filter values are trimmed, empty ones are
 * absent, malformed dates and numbers are ignored (the service's `except ValueError: pass`).
 * A gender that is none of the choices is kept: the service's exact match finds nothing.
 */
export function parseAppUsersQuery(q: Record<string, string | undefined>): AppUsersQuery {
  const filters: AppUsersFilters = {};
  for (const key of [...Object.keys(CONTACT_CONTAINS), ...Object.keys(ADDRESS_CONTAINS)] as Array<
    keyof typeof CONTACT_CONTAINS | keyof typeof ADDRESS_CONTAINS
  >) {
    const v = text(q, key);
    if (v) filters[key] = v;
  }
  const gender = text(q, 'gender');
  if (gender) filters.gender = GENDER_BY_NAME.get(gender.toLowerCase()) ?? null;
  const customerId = text(q, 'customer_id');
  if (customerId) filters.customer_id = customerId;
  const birthday = parseDate(text(q, 'birthday'));
  if (birthday) filters.birthday = birthday;
  const pointsMin = parseInteger(text(q, 'points_min'));
  if (pointsMin !== undefined) filters.points_min = pointsMin;
  const pointsMax = parseInteger(text(q, 'points_max'));
  if (pointsMax !== undefined) filters.points_max = pointsMax;
  // The service reads a date (midnight UTC); an ISO 8601 date-time is also taken here.
  const after = text(q, 'last_activity_after');
  const day = parseDate(after);
  if (day) filters.last_activity_after = `${day}T00:00:00Z`;
  else if (after && isValidTimestamp(after)) filters.last_activity_after = after;
  return { page: parsePage(q.page), pageSize: parsePageSize(q.page_size), ordering: parseOrdering(q.ordering), filters };
}
