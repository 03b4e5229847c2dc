import type { Condition, Filter, ListRequest } from '../../query/ast';
import { ADDRESS_CONTAINS, APPUSER_SELECT, CONTACT_CONTAINS, ORDERING_FIELDS } from './fields';
import type { AppUsersFilters, AppUsersQuery } from './parse';

const INT_MAX = 2_147_483_647;
const INT_MIN = -2_147_483_648;

const cond = (field: string, op: Condition['op'], value: unknown): Condition => ({ kind: 'cond', field, op, value });

/**
 * `points >= v` for any integer v on an int column: above the column's range nothing is, below
 * it every row is (a relationship must still exist, as the service's join requires).
 */
function pointsAtLeast(v: number): Condition {
  return v > INT_MAX ? cond('points', 'gt', INT_MAX) : cond('points', 'gte', Math.max(v, INT_MIN));
}

function pointsAtMost(v: number): Condition {
  return v < INT_MIN ? cond('points', 'lt', INT_MIN) : cond('points', 'lte', Math.min(v, INT_MAX));
}

/**
 * The service's filters as conditions of the list dialect on contacts. Address filters are one
 * related condition (a contact has one address); relationship filters are one too, so one
 * relationship must satisfy all of them together (the service's single `filter()` call joins
 * the relationships once).
 */
export function appUsersWhere(f: AppUsersFilters): Filter[] {
  const where: Filter[] = [];
  for (const [param, field] of Object.entries(CONTACT_CONTAINS)) {
    const v = f[param as keyof typeof CONTACT_CONTAINS];
    if (v) where.push(cond(field, 'contains', v));
  }
  // A gender that is none of the choices: an empty `in`, which no row satisfies (and no index range reads).
  if (f.gender !== undefined) where.push(f.gender === null ? cond('gender', 'in', []) : cond('gender', 'eq', f.gender));
  if (f.customer_id) where.push(cond('customer_id', 'eq', f.customer_id));
  if (f.birthday) where.push(cond('birthday', 'eq', f.birthday));
  const address = Object.entries(ADDRESS_CONTAINS).flatMap(([param, field]) => {
    const v = f[param as keyof typeof ADDRESS_CONTAINS];
    return v ? [cond(field, 'contains', v)] : [];
  });
  if (address.length) where.push({ kind: 'related', relation: 'address', items: address });
  const relationship: Filter[] = [];
  if (f.points_min !== undefined) relationship.push(pointsAtLeast(f.points_min));
  if (f.points_max !== undefined) relationship.push(pointsAtMost(f.points_max));
  if (f.last_activity_after) relationship.push(cond('last_activity_at', 'gte', f.last_activity_after));
  if (relationship.length) where.push({ kind: 'related', relation: 'relationships', items: relationship });
  return where;
}

/**
 * One page of the service's answer as a list request on contacts: its filters, its order (the
 * compiler appends the id tie-breaker), its fields under its names, `pageSize` rows from the
 * page's offset, and the count beside it.
 */
export function appUsersRequest(query: AppUsersQuery, page: number): ListRequest {
  return {
    where: appUsersWhere(query.filters),
    order: query.ordering.map((o) => ({ field: ORDERING_FIELDS[o.field], dir: o.desc ? 'desc' : 'asc' })),
    select: APPUSER_SELECT,
    limit: query.pageSize,
    offset: (page - 1) * query.pageSize,
    count: 'estimated',
    search: 'auto',
    deleted: 'exclude',
  };
}
