import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../core/errors';
import { requireAuth } from '../http/auth';
import { createRouter, errorResponses, problem } from '../http/openapi';
import { LIMITS } from '../query/ast';
import { parseQueryString } from '../query/parse-query-string';
import { toCsv } from './csv';
import { RESOURCES } from './registry';
import { infoRange, type ListInfo, rangeHeader } from './render';
import { LIST_POLICY, loadList } from './router';
import { RESOURCE_SCHEMAS, singularName } from './schema';
import { throughTiers } from './tiers';

const SINGLE = 'application/vnd.pgrst.object+json';

/** `Range: 0-9` (items) → offset/limit, as PostgREST reads it. */
function applyRange(header: string | undefined, params: URLSearchParams): void {
  if (!header || params.has('limit') || params.has('offset')) return;
  const m = /^(?:items=)?\s*(\d{1,9})-(\d{1,9})?\s*$/.exec(header);
  if (!m) throw new AppError('invalid_query', 'Range: expected "first-last" (e.g. 0-9).', [{ path: 'Range', message: 'malformed range' }]);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first + LIMITS.maxLimit - 1 : Number(m[2]);
  if (last < first) throw new AppError('invalid_query', 'Range: last is before first.', [{ path: 'Range', message: 'empty range' }]);
  params.set('offset', String(first));
  params.set('limit', String(Math.min(last - first + 1, LIMITS.maxLimit)));
}

export type Representation = 'json' | 'object' | 'csv';

const MEDIA: Record<string, Representation> = {
  'application/json': 'json',
  'application/*': 'json',
  '*/*': 'json',
  [SINGLE]: 'object',
  'application/vnd.pgrst.object': 'object',
  'text/csv': 'csv',
};

/**
 * What the client's Accept asks for, by its preference (q, then order): JSON, one object
 * (`.single()`), or CSV. No Accept is JSON; an Accept that names none of them is null (406).
 */
export function negotiate(accept: string | undefined): Representation | null {
  if (!accept?.trim()) return 'json';
  const offers = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((o) => o.q > 0 && Object.hasOwn(MEDIA, o.type))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return offers.length ? MEDIA[offers[0].type] : null;
}

/** A row of whichever table the path names: one of the /v1 row schemas (`Contact`, `Company`, …). */
const TableRow = z.union(Object.values(RESOURCE_SCHEMAS).map((s) => s.row)).openapi('TableRow', {
  description: `A row of the table named in the path, as /v1 renders it: ${Object.keys(RESOURCES)
    .map((name) => `${name} → ${singularName(name)}`)
    .join(', ')}. \`select\` narrows and renames it as on /v1.`,
});

const Csv = z.string().openapi({ description: 'A header line of column names, then one line per row (RFC 4180).' });

const route = createRoute({
  method: 'get',
  path: '/rest/v1/{table}',
  tags: ['compatibility'],
  summary: 'PostgREST wire format for reads',
  description:
    'A bare JSON array, `Content-Range`, `Prefer: count=exact|planned|estimated` with `Preference-Applied`, `Range`/`Range-Unit`, `offset`/`limit`, `select`, `order` and the filters, so `@supabase/postgrest-js` works unchanged. Without `limit`, at most 1000 rows (like a PostgREST max-rows setting).',
  middleware: [requireAuth({ prewarm: false })] as const,
  request: { params: z.object({ table: z.string().openapi({ enum: Object.keys(RESOURCES), description: 'Any other name is a 404.' }) }) },
  responses: {
    200: {
      description: 'Rows: a JSON array, one object (`Accept: application/vnd.pgrst.object+json`) or CSV (`Accept: text/csv`)',
      content: {
        'application/json': { schema: z.array(TableRow) },
        [SINGLE]: { schema: TableRow },
        'text/csv': { schema: Csv },
      },
    },
    206: {
      description: 'Part of the rows: a `Range` request with a count (`Prefer: count=…`) that answered fewer rows than the total',
      content: { 'application/json': { schema: z.array(TableRow) }, 'text/csv': { schema: Csv } },
    },
    ...errorResponses,
    406: problem('Accept names no representation served here, or `.single()` matched zero or several rows'),
  },
});

// @hono/zod-openapi types a `text/csv` response as a plain Response, so the compiler accepts any
// Response from this handler; test/http/openapi.test.ts checks real bodies against TableRow.
export const postgrestRoutes = createRouter().openapi(route, async (c) => {
  const { table } = c.req.valid('param');
  const resource = Object.hasOwn(RESOURCES, table) ? RESOURCES[table] : undefined;
  if (!resource) throw new AppError('not_found', `Unknown table "${table.slice(0, 64)}". Tables: ${Object.keys(RESOURCES).join(', ')}.`);
  const params = new URL(c.req.url).searchParams;
  applyRange(c.req.header('Range'), params);
  const prefer = c.req.header('Prefer');
  const req = parseQueryString(params, prefer);
  if (!params.has('limit')) req.limit = LIMITS.maxLimit;
  const representation = negotiate(c.req.header('Accept'));
  if (!representation) {
    throw new AppError('not_acceptable', `None of the media types in Accept is served here. Available: application/json, ${SINGLE}, text/csv.`);
  }
  const single = representation === 'object';
  // Two rows tell "exactly one" from "several"; a smaller limit of the client's applies first
  // (`.limit(1).single()` is one object), as in PostgREST.
  if (single) req.limit = Math.min(req.limit, 2);
  // `select('*', { count, head: true })` is how postgrest-js asks "how many": a HEAD with a count
  // needs no rows (the range follows from the count), so none are read.
  const wanted = req.limit;
  const countOnly = c.req.method === 'HEAD' && !!req.count && !single;
  if (countOnly) req.limit = 0;
  return throughTiers(c, {
    policy: LIST_POLICY,
    resource,
    // The /v1 list's key: the same request shares its entry (the rows are the same; only the wrapping differs).
    key: { kind: 'list', req },
    load: () => loadList(c, resource, req),
    render: (served) => {
      const info = served.entry.info as ListInfo;
      // What was applied: a lenient count=exact over its budget was answered with an estimate.
      const applied = [
        ...(req.count ? [`count=${req.count === 'exact' && info.count?.method !== 'exact' ? 'estimated' : req.count}`] : []),
        ...(req.handling === 'strict' ? ['handling=strict'] : []),
      ];
      if (applied.length) c.header('Preference-Applied', applied.join(', '));
      if (countOnly) {
        // The rows a GET would have answered: as many as the limit, as far as the total reaches.
        const [offset, total] = [req.offset ?? 0, info.count?.value ?? 0];
        c.header('Content-Range', rangeHeader(offset, Math.max(0, Math.min(wanted, total - offset)), total));
      } else c.header('Content-Range', infoRange(info));
      if (single) {
        if (info.rows !== 1) {
          throw new AppError('not_acceptable', `JSON object requested, multiple (or no) rows returned (${info.rows}${info.page.hasMore ? '+' : ''}).`);
        }
        return c.body(served.entry.text.slice(1, -1), 200, { 'Content-Type': `${SINGLE}; charset=utf-8` });
      }
      const partial = !!c.req.header('Range') && !!info.count && info.rows < info.count.value;
      const status = partial ? 206 : 200;
      if (representation === 'csv') return c.body(toCsv(JSON.parse(served.entry.text)), status, { 'Content-Type': 'text/csv; charset=utf-8' });
      return c.body(served.entry.text, status, { 'Content-Type': 'application/json' });
    },
  });
});
