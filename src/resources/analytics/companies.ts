import { createRoute, z } from '@hono/zod-openapi';
import { DEAL_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import { createRouter, dataResponse, errorResponses } from '../../http/openapi';
import { getRecord, listRows } from '../../query/execute';
import { Params } from '../../query/params';
import { parseQueryString, parseSelect } from '../../query/parse-query-string';
import type { ResourceDef } from '../../query/resource';
import type { UserGrants } from '../../sharing/types';
import { underAccess } from '../access';
import { RESOURCES } from '../registry';
import { renderList } from '../render';
import { DialectParams, listContext } from '../router';
import { RESOURCE_SCHEMAS } from '../schema';
import { money, planRows, rowsWhere, Totals } from './rows';

/**
 * A company's numbers and its contacts (DESIGN §5.6, decision 0051). A company's contacts are
 * those whose primary company it is (`contacts.primary_company_id`, the `company` relation of
 * contacts and the `/v1/contacts?primary_company_id=eq.…` list): the one link the API reads and
 * writes. Its deals are `deals.company_id`. Everything counted is what the caller's own lists
 * would show: their sharing grants on each resource, trash excluded.
 */

const IdParam = z.object({ id: z.guid().openapi({ description: 'Company id' }) });

const CompanyStats = z
  .object({
    company: z.object({ id: z.guid(), name: z.string() }),
    contacts: z.int().openapi({ description: 'Contacts whose primary company this is, that the caller may read' }),
    deals: z.object({
      byStatus: z.array(Totals.extend({ status: z.enum(DEAL_STATUSES) })).openapi({ description: 'Every status, zeros included' }),
      total: Totals,
    }),
    values: z
      .object({ total: money, open: money, won: money, lost: money })
      .openapi({ description: 'The deals’ value in total and per status (the same sums as `deals`, by name)' }),
  })
  .openapi('CompanyStats');

type DealRow = { status: (typeof DEAL_STATUSES)[number] | null; count: number; value: string; weighted: string };

/** A status without deals (cents always written, as the sums are). */
const ZERO = { count: 0, value: '0.00', weighted: '0.00' };

/**
 * The stats as one statement (pure: no I/O): the company (null when the caller may not read
 * it), its contacts' count and its deals per status and in total (grouping sets). Each part is
 * the FROM/WHERE of the /v1 list that reads it under `access`, numbered into one statement.
 */
export function planCompanyStats(input: { orgId: string; companyId: string; access?: UserGrants }): { statement: string; values: unknown[] } {
  const p = new Params(input.orgId);
  const from = (resource: ResourceDef, field: string) => {
    const { fromWhere, values } = planRows(input.orgId, resource, rowsWhere(field, input.companyId), input.access);
    return p.adopt(fromWhere, values);
  };
  return {
    statement: `select (select json_build_object('id', co.id, 'name', co.name) ${from(RESOURCES.companies, 'id')}) as company,
      (select count(*)::int ${from(RESOURCES.contacts, 'primary_company_id')}) as contacts,
      (select coalesce(json_agg(g), '[]'::json) from (
         select d.status, count(*)::int as count, round(coalesce(sum(d.value), 0), 2)::text as value,
           round(coalesce(sum(d.value * coalesce(d.probability, 0) / 100.0), 0), 2)::text as weighted
         ${from(RESOURCES.deals, 'company_id')} group by grouping sets ((d.status), ())) g) as deals`,
    values: p.values,
  };
}

export const companyAnalyticsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/companies/{id}/stats',
      tags: ['companies'],
      summary: 'The company’s contact count and its deals by status (count, value, weighted value), in one statement',
      description:
        'Counts only the contacts and deals the caller may read (their own `/v1/contacts` and `/v1/deals` lists), trash excluded. A company the caller may not read is a 404. Contacts are those whose `primary_company_id` is the company; deals those whose `company_id` is.',
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: z.strictObject({}) },
      responses: { 200: dataResponse(CompanyStats, 'The stats'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').id.toLowerCase();
      const { rows } = await underAccess(c, (access) => {
        const plan = planCompanyStats({ orgId: c.var.auth.orgId, companyId: id, access });
        return c.var.services.db.query<{ company: { id: string; name: string } | null; contacts: number; deals: DealRow[] }>(plan.statement, plan.values);
      });
      const [{ company, contacts, deals }] = rows;
      if (!company) throw new AppError('not_found', 'No such record in companies.');
      const of = (status: DealRow['status']) => deals.find((d) => d.status === status) ?? ZERO;
      const totals = ({ count, value, weighted }: Omit<DealRow, 'status'>) => ({ count, value, weighted });
      return c.json(
        {
          data: {
            company,
            contacts,
            deals: { byStatus: DEAL_STATUSES.map((status) => ({ status, ...totals(of(status)) })), total: totals(of(null)) },
            values: { total: of(null).value, open: of('open').value, won: of('won').value, lost: of('lost').value },
          },
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/companies/{id}/contacts',
      tags: ['companies'],
      summary: 'The company’s contacts, each with its deal and activity counts, in one statement',
      description:
        'The `/v1/contacts` list of the contacts whose primary company this is, paged the same way (`limit`, `cursor`, `order`, filters, `Prefer: count=…`). `select` defaults to `*,deal_count,activity_count`: per contact, the deals and activities the caller may read. A company the caller may not read is a 404.',
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: DialectParams },
      responses: {
        200: { description: 'A page of contacts', content: { 'application/json': { schema: RESOURCE_SCHEMAS.contacts.page } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const started = performance.now();
      const id = c.req.valid('param').id.toLowerCase();
      const req = parseQueryString(new URL(c.req.url).searchParams, c.req.header('Prefer'));
      req.select ??= parseSelect('*,deal_count,activity_count');
      // First, so the cursor (bound to the filters) is bound to the company too.
      req.where = [{ kind: 'cond', field: 'primary_company_id', op: 'eq', value: id }, ...req.where];
      const companies = RESOURCES.companies;
      const result = await underAccess(c, async (access) => {
        // The company's visibility is checked in the list's own statement (PlanInput.parent).
        const ctx = { ...listContext(c, access), parent: { resource: companies, id } };
        const page = await listRows(ctx, RESOURCES.contacts, req);
        // No row: a company without (visible) contacts, or one the caller may not read (a 404).
        if (!page.rows.length) await getRecord(ctx, companies, id, { select: { fields: ['id'], relations: [] }, deleted: 'exclude' });
        return page;
      });
      return c.json(renderList(c, result, started), 200);
    },
  );
