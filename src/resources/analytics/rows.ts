import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../../core/errors';
import type { AppContext } from '../../http/context';
import type { ListRequest } from '../../query/ast';
import { parseQueryString } from '../../query/parse-query-string';
import { planList } from '../../query/plan';
import type { ResourceDef } from '../../query/resource';
import type { UserGrants } from '../../sharing/types';
import { CATALOG } from '../registry';

/**
 * What every aggregate is written around (decision 0050): the FROM/WHERE a /v1 list with the
 * same filters reads under the caller's grants, the filters taken from the query string, and
 * the money schemas the answers share.
 */

/** The FROM/WHERE a /v1 list of `resource` with these filters reads, under the caller's grants, and its values ($1 = the org). */
export function filteredRows(c: Context<AppContext>, resource: ResourceDef, req: ListRequest, access: UserGrants): { fromWhere: string; values: unknown[] } {
  return planRows(c.var.auth.orgId, resource, req, access);
}

/** filteredRows for an org, without a request (plans are pure: plan tests call this). */
export function planRows(orgId: string, resource: ResourceDef, req: ListRequest, access: UserGrants | undefined): { fromWhere: string; values: unknown[] } {
  const plan = planList({
    catalog: CATALOG,
    resource,
    req: { ...req, order: [], limit: 0, offset: undefined, cursor: undefined, count: undefined },
    orgId,
    access,
  });
  return { fromWhere: plan.fromWhere, values: plan.filterValues };
}

/** A list request for the rows whose `field` equals `value` (one record's contacts, deals, activities), for filteredRows. */
export function rowsWhere(field: string, value: string): ListRequest {
  return { where: [{ kind: 'cond', field, op: 'eq', value }], order: [], limit: 0, search: 'auto', deleted: 'exclude' };
}

/** The list dialect's filters from the query string, without the parameters an aggregate has no use for. */
export function filtersOf(c: Context<AppContext>, drop: readonly string[]): ListRequest {
  const params = new URL(c.req.url).searchParams;
  for (const name of drop) params.delete(name);
  for (const name of ['select', 'order', 'limit', 'offset', 'cursor', 'count']) {
    if (params.has(name)) throw new AppError('invalid_query', `${name}: an aggregate takes filters only.`, [{ path: name, message: 'not used by aggregates' }]);
  }
  return parseQueryString(params, undefined);
}

export const money = z.string().openapi({ description: 'A decimal as text (exact), like deal values' });
export const Totals = z.object({ count: z.int(), value: money, weighted: money.openapi({ description: 'Σ value × probability / 100' }) });
