import { createRoute, z } from '@hono/zod-openapi';
import type { Context, TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';
import { isolateCaches } from '../cache/isolate';
import { readVars } from '../env';
import { requireAuth } from '../http/auth';
import { jsonBody } from '../http/body';
import type { AppContext } from '../http/context';
import { etagOf } from '../http/etag';
import { createRouter, errorResponses } from '../http/openapi';
import type { ListRequest } from '../query/ast';
import { getRecord, type ListContext, listRows, resignCursor } from '../query/execute';
import { parseQueryBody, QueryBodyDocSchema } from '../query/parse-json';
import { parseQueryString, parseSelect } from '../query/parse-query-string';
import type { ResourceDef } from '../query/resource';
import type { UserGrants } from '../sharing/types';
import { underAccess } from './access';
import { CATALOG, RESOURCES } from './registry';
import { infoRange, type ListInfo, listParts } from './render';
import { type Page, RESOURCE_SCHEMAS, RecordMeta } from './schema';
import { type Loaded, type Served, type TierPolicy, throughTiers, tierMeta } from './tiers';

const opt = (description: string, example?: string) =>
  z
    .string()
    .optional()
    .openapi({ description, ...(example ? { example } : {}) });

/** The reserved parameters; any other key is a filter `field=op.value` (a loose object keeps them). */
export const DialectParams = z.looseObject({
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

/**
 * Tier policies, declared here beside the routes. Lists (and the JSON form, and /rest/v1, which
 * share entries when the request is the same): memory, the Cache API for a minute, KV for five
 * minutes once an answer is read twice. Gets by id: memory and the Cache API only (a record
 * read is one index probe; KV would hold a copy of every record read twice).
 */
export const LIST_POLICY: TierPolicy = { memory: true, edgeTtlSeconds: 60, kvTtlSeconds: 300 };
const GET_POLICY: TierPolicy = { memory: true, edgeTtlSeconds: 60, kvTtlSeconds: 0 };

/** A list from Postgres under the caller's grants, as the tiers keep it (rows as JSON), with those grants. */
export async function loadList(c: Context<AppContext>, r: ResourceDef, req: ListRequest): Promise<Loaded> {
  let grants: UserGrants | undefined;
  const result = await underAccess(c, (access) => {
    grants = access;
    return listRows(listContext(c, access), r, req);
  });
  return { ...listParts(result, c.var.auth.userId), grants };
}

/** The /v1 list envelope (DESIGN §5.4) of a served entry: data, page, count, meta, as `ContactsPage` says. */
async function renderPage(c: Context<AppContext>, r: ResourceDef, req: ListRequest, served: Served, started: number): Promise<Response> {
  const info = served.entry.info as unknown as ListInfo;
  const { db } = c.var.services;
  // The stored cursor is bound to the user whose read made the entry: signed again for another one.
  const page =
    info.signedFor !== c.var.auth.userId && info.page.nextCursor
      ? { ...info.page, nextCursor: await resignCursor(readVars(c.env).JWT_SECRET, info.page.nextCursor, r, req, c.var.auth) }
      : info.page;
  const meta: Page['meta'] = {
    requestId: c.var.requestId,
    ...tierMeta(served),
    queryMs: Math.round(db.stats.ms * 100) / 100,
    totalMs: Math.round((performance.now() - started) * 100) / 100,
    queries: db.stats.queries,
    ...(info.search ? { searchMode: info.search } : {}),
  };
  const count = info.count ? `"count":${JSON.stringify(info.count)},` : '';
  // The JSON c.json would send for the page, assembled around the stored rows without parsing them.
  return c.body(`{"data":${served.entry.text},"page":${JSON.stringify(page)},${count}"meta":${JSON.stringify(meta)}}`, 200, {
    'Content-Type': 'application/json',
    'Content-Range': infoRange(info),
  });
}

/** A list route's answer through the tiers (typed as the route's page for the OpenAPI router). */
function tieredPage(c: Context<AppContext>, r: ResourceDef, req: ListRequest, started: number) {
  return throughTiers(c, {
    policy: LIST_POLICY,
    resource: r,
    key: { kind: 'list', req },
    load: () => loadList(c, r, req),
    render: (served) => renderPage(c, r, req, served, started),
  }) as unknown as Promise<TypedResponse<JSONParsed<Page>, 200, 'json'>>;
}

/** Headers the read tiers take (src/resources/tiers.ts checks them; documented here for /openapi.json). */
const TierHeaders = z.object({
  'x-min-generation': z
    .string()
    .optional()
    .openapi({ description: 'A write’s X-Generation: no tier answers from before that write (docs/api.md, Read tiers). A whole number, else a 400.' }),
  'cache-control': z.string().optional().openapi({ description: '`no-cache` asks for Postgres; `no-store` also stores nothing.' }),
  'if-none-match': z.string().optional().openapi({ description: 'An ETag this endpoint answered: a 304 while the answer is the same.' }),
});

const notModified = { 304: { description: 'If-None-Match named the current ETag: nothing changed (no body)' } } as const;

const DIALECT_DOC =
  'Filters `?field=op.value` (eq neq gt gte lt lte like ilike in is fts plfts phfts wfts cs, `not.` prefix, `or=(…)`/`and=(…)`), `order=field.asc|desc[.nullsfirst|.nullslast]`, `select=col,relation(col)`, `limit` (≤ 1000), `cursor`, `offset` (≤ 10000), `q` search, `deleted=include|only`, `Prefer: count=exact|planned|estimated`. See README.';

function routesFor(r: ResourceDef) {
  const tag = r.name;
  const { page, record } = RESOURCE_SCHEMAS[r.name];
  const got = record.extend({ meta: RecordMeta });
  const list = createRoute({
    method: 'get',
    path: `/v1/${r.name}`,
    tags: [tag],
    summary: `List ${r.name}`,
    description: DIALECT_DOC,
    middleware: [requireAuth({ prewarm: false })] as const,
    request: { query: DialectParams, headers: TierHeaders },
    responses: { 200: { description: `A page of ${r.name}`, content: { 'application/json': { schema: page } } }, ...notModified, ...errorResponses },
  });
  const query = createRoute({
    method: 'post',
    path: `/v1/${r.name}/query`,
    tags: [tag],
    summary: `Query ${r.name} with a JSON body`,
    description: "The same compiler as GET, with `where` trees using the seeds' operator names.",
    middleware: [requireAuth({ prewarm: false }), jsonBody()] as const,
    request: { headers: TierHeaders, body: { content: { 'application/json': { schema: QueryBodyDocSchema } } } },
    responses: { 200: { description: `A page of ${r.name}`, content: { 'application/json': { schema: page } } }, ...notModified, ...errorResponses },
  });
  const get = createRoute({
    method: 'get',
    path: `/v1/${r.name}/{id}`,
    tags: [tag],
    summary: `Get one of ${r.name}`,
    middleware: [requireAuth({ prewarm: false })] as const,
    request: {
      headers: TierHeaders,
      params: z.object({ id: z.string().openapi({ description: 'Record id (UUID)' }) }),
      query: z.object({ select: z.string().optional(), deleted: z.enum(['exclude', 'include', 'only']).optional() }),
    },
    responses: {
      200: { description: 'The record', content: { 'application/json': { schema: got } } },
      ...notModified,
      ...errorResponses,
    },
  });
  return createRouter()
    .openapi(list, async (c) => {
      const started = performance.now();
      const req = parseQueryString(new URL(c.req.url).searchParams, c.req.header('Prefer'));
      return tieredPage(c, r, req, started);
    })
    .openapi(query, async (c) => {
      const started = performance.now();
      const body = await c.req.json().catch(() => undefined);
      const req = parseQueryBody(body);
      return tieredPage(c, r, req, started);
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const select = q.select ? parseSelect(q.select) : undefined;
      const deleted = q.deleted ?? 'exclude';
      return throughTiers(c, {
        policy: GET_POLICY,
        resource: r,
        key: { kind: 'get', id, select, deleted },
        load: async () => {
          let grants: UserGrants | undefined;
          const { row, version } = await underAccess(c, (access) => {
            grants = access;
            return getRecord(listContext(c, access), r, id, { select, deleted });
          });
          // The version a write's If-Match compares with (src/resources/writes.ts) is the ETag.
          return { text: JSON.stringify(row), info: {}, etag: etagOf(version), grants };
        },
        render: (served) =>
          c.body(`{"data":${served.entry.text},"meta":${JSON.stringify({ requestId: c.var.requestId, ...tierMeta(served) })}}`, 200, {
            'Content-Type': 'application/json',
          }),
      }) as unknown as Promise<TypedResponse<JSONParsed<z.infer<typeof got>>, 200, 'json'>>;
    });
}

/** GET /v1/{resource}, POST /v1/{resource}/query, GET /v1/{resource}/{id} for every resource. */
export function resourceRoutes() {
  const router = createRouter();
  for (const r of Object.values(RESOURCES)) router.route('/', routesFor(r));
  return router;
}
