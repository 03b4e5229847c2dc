import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isolateCaches } from '../cache/isolate';
import { readVars } from '../env';
import { requireAuth } from '../http/auth';
import { jsonBody } from '../http/body';
import type { AppContext } from '../http/context';
import { etagOf } from '../http/etag';
import { createRouter, errorResponses } from '../http/openapi';
import type { ListRequest } from '../query/ast';
import { getRecord, type ListContext, listRows } from '../query/execute';
import { parseQueryBody, QueryBodyDocSchema } from '../query/parse-json';
import { parseQueryString, parseSelect } from '../query/parse-query-string';
import type { ResourceDef } from '../query/resource';
import type { UserGrants } from '../sharing/types';
import { underAccess } from './access';
import { CATALOG, RESOURCES } from './registry';
import { renderList } from './render';
import { type Page, RESOURCE_SCHEMAS } from './schema';
import { LIST_POLICY, tieredList } from './tiers';

const opt = (description: string, example?: string) =>
  z
    .string()
    .optional()
    .openapi({ description, ...(example ? { example } : {}) });

/** The reserved parameters; any other key is a filter `field=op.value` (a loose object keeps them). */
const DialectParams = z.looseObject({
  select: opt('Columns and relations, e.g. id,first_name,company(name)'),
  order: opt('e.g. last_name.asc,created_at.desc', 'created_at.desc'),
  limit: opt('Rows per page, 0–1000 (default 25)', '25'),
  cursor: opt('page.nextCursor of the previous page'),
  offset: opt('Rows to skip, ≤ 10000 (use cursor beyond)'),
  q: opt('Search text (full-text, trigram or prefix; see meta.searchMode)'),
  search_mode: opt('auto | fts | trigram | prefix'),
  deleted: opt('exclude (default) | include | only'),
  count: opt('exact | planned | estimated (same as the Prefer header)'),
  or: opt('e.g. (status.eq.active,lifecycle_stage.eq.customer)'),
  and: opt('e.g. (created_at.gte.2024-01-01,created_at.lt.2025-01-01)'),
});

/** What the query layer needs to serve this request: its connection, its caller, and (underAccess) what the caller may read. */
export function listContext(c: Context<AppContext>, access?: UserGrants): ListContext {
  const vars = readVars(c.env);
  return {
    access,
    db: c.var.services.db,
    auth: c.var.auth,
    catalog: CATALOG,
    caches: isolateCaches(),
    secret: vars.JWT_SECRET,
    countLimit: vars.COUNT_EXACT_LIMIT,
  };
}

/** A list from Postgres under the caller's grants, rendered, with the grants it ran under (for the tiers' key). */
async function listFromDb(c: Context<AppContext>, r: ResourceDef, req: ListRequest, started: number): Promise<{ page: Page; grants: UserGrants | undefined }> {
  let grants: UserGrants | undefined;
  const result = await underAccess(c, (access) => {
    grants = access;
    return listRows(listContext(c, access), r, req);
  });
  return { page: renderList(c, result, started), grants };
}

/** Headers the read tiers take (src/resources/tiers.ts checks them; documented here for /openapi.json). */
const TierHeaders = z.object({
  'x-min-generation': z
    .string()
    .optional()
    .openapi({ description: 'A write’s X-Generation: no tier answers from before that write (docs/api.md, Read tiers). A whole number, else a 400.' }),
  'cache-control': z.string().optional().openapi({ description: '`no-cache` asks for Postgres; `no-store` also stores nothing.' }),
});

const DIALECT_DOC =
  'Filters `?field=op.value` (eq neq gt gte lt lte like ilike in is fts plfts phfts wfts cs, `not.` prefix, `or=(…)`/`and=(…)`), `order=field.asc|desc[.nullsfirst|.nullslast]`, `select=col,relation(col)`, `limit` (≤ 1000), `cursor`, `offset` (≤ 10000), `q` search, `deleted=include|only`, `Prefer: count=exact|planned|estimated`. See README.';

function routesFor(r: ResourceDef) {
  const tag = r.name;
  const { page, record } = RESOURCE_SCHEMAS[r.name];
  const list = createRoute({
    method: 'get',
    path: `/v1/${r.name}`,
    tags: [tag],
    summary: `List ${r.name}`,
    description: DIALECT_DOC,
    middleware: [requireAuth({ prewarm: false })] as const,
    request: { query: DialectParams, headers: TierHeaders },
    responses: { 200: { description: `A page of ${r.name}`, content: { 'application/json': { schema: page } } }, ...errorResponses },
  });
  const query = createRoute({
    method: 'post',
    path: `/v1/${r.name}/query`,
    tags: [tag],
    summary: `Query ${r.name} with a JSON body`,
    description: "The same compiler as GET, with `where` trees using the seeds' operator names.",
    middleware: [requireAuth({ prewarm: false }), jsonBody()] as const,
    request: { headers: TierHeaders, body: { content: { 'application/json': { schema: QueryBodyDocSchema } } } },
    responses: { 200: { description: `A page of ${r.name}`, content: { 'application/json': { schema: page } } }, ...errorResponses },
  });
  const get = createRoute({
    method: 'get',
    path: `/v1/${r.name}/{id}`,
    tags: [tag],
    summary: `Get one of ${r.name}`,
    middleware: [requireAuth()] as const,
    request: {
      params: z.object({ id: z.string().openapi({ description: 'Record id (UUID)' }) }),
      query: z.object({ select: z.string().optional(), deleted: z.enum(['exclude', 'include', 'only']).optional() }),
    },
    responses: { 200: { description: 'The record', content: { 'application/json': { schema: record } } }, ...errorResponses },
  });
  return createRouter()
    .openapi(list, async (c) => {
      const started = performance.now();
      const req = parseQueryString(new URL(c.req.url).searchParams, c.req.header('Prefer'));
      return tieredList(c, r, req, LIST_POLICY, () => listFromDb(c, r, req, started));
    })
    .openapi(query, async (c) => {
      const started = performance.now();
      const body = await c.req.json().catch(() => undefined);
      const req = parseQueryBody(body);
      return tieredList(c, r, req, LIST_POLICY, () => listFromDb(c, r, req, started));
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const select = q.select ? parseSelect(q.select) : undefined;
      const { row, version } = await underAccess(c, (access) => getRecord(listContext(c, access), r, id, { select, deleted: q.deleted ?? 'exclude' }));
      // The version a write's If-Match compares with (src/resources/writes.ts).
      c.header('ETag', etagOf(version));
      return c.json({ data: row }, 200);
    });
}

/** GET /v1/{resource}, POST /v1/{resource}/query, GET /v1/{resource}/{id} for every resource. */
export function resourceRoutes() {
  const router = createRouter();
  for (const r of Object.values(RESOURCES)) router.route('/', routesFor(r));
  return router;
}
