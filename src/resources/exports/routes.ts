import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Auth } from '../../core/auth';
import { EXPORT_FORMATS, EXPORT_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import { requireAuth } from '../../http/auth';
import { jsonBody } from '../../http/body';
import type { AppContext } from '../../http/context';
import { idempotency } from '../../http/idempotency';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { LIMITS, type ListRequest } from '../../query/ast';
import { listRows } from '../../query/execute';
import { parseQueryBody } from '../../query/parse-json';
import { parseQueryString, parseSelect } from '../../query/parse-query-string';
import type { ResourceDef } from '../../query/resource';
import { projectionKeys, resolveProjection } from '../../query/select';
import type { UserGrants } from '../../sharing/types';
import { underAccess } from '../access';
import { CATALOG, RESOURCES } from '../registry';
import { listContext } from '../router';
import { type ExportFormat, rowFormat } from './formats';
import type { ExportMessage, StoredQuery } from './job';

/** Rows `GET /v1/{resource}/export` answers directly; beyond, POST /v1/exports. */
export const DIRECT_EXPORT_ROWS = 10_000;
/** Days an export's object is kept before the daily cron deletes it. */
export const EXPORT_TTL_DAYS = 7;

const ExportBody = z
  .strictObject({
    resource: z.enum(Object.keys(RESOURCES) as [string, ...string[]]),
    query: z
      .union([z.string().max(16_384), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({
        description:
          'The rows: a query string in the /v1 dialect (`status=eq.active&order=created_at.desc`) or a JSON query body (`{"where": …, "orderBy": …}`).',
      }),
    fields: z.string().max(4000).optional().openapi({ description: 'Columns, as `select` (`id,first_name,company(name)`); default: the default projection.' }),
    format: z.enum(EXPORT_FORMATS).default('csv'),
    gzip: z.boolean().default(true),
  })
  .openapi('ExportRequest');

const ExportJobSchema = z
  .object({
    id: z.string(),
    resource: z.string(),
    format: z.enum(EXPORT_FORMATS),
    gzip: z.boolean(),
    status: z.enum(EXPORT_STATUSES),
    rows: z.number().int().openapi({ description: 'Rows written so far.' }),
    bytes: z.number().int().openapi({ description: 'Bytes of the object so far (compressed when gzip).' }),
    progress: z.object({ parts: z.number().int(), checkpoint: z.number().int() }),
    error: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    download: z.string().nullable().openapi({ description: 'Where to GET the file once `status` is `succeeded`.' }),
  })
  .openapi('ExportJob');

const IdParam = z.object({ id: z.guid().openapi({ description: 'Export id' }) });

/** The rows an export request names, with everything that pages or counts removed. */
function exportRequest(resource: ResourceDef, query: string | Record<string, unknown> | undefined, fields: string | undefined): ListRequest {
  const parsed = typeof query === 'object' ? parseQueryBody(query) : parseQueryString(new URLSearchParams(query ?? ''), undefined);
  for (const key of ['cursor', 'offset', 'count'] as const) {
    if (parsed[key] !== undefined)
      throw new AppError('invalid_query', `query: an export pages itself; leave out ${key}.`, [{ path: `query.${key}`, message: 'not allowed in an export' }]);
  }
  try {
    const select = fields === undefined ? parsed.select : parseSelect(fields);
    // Checked now, so that a bad field is a 400 to the caller and not a failed job later.
    resolveProjection(CATALOG, resource, select);
    return { ...parsed, select, limit: 0 };
  } catch (err) {
    // `fields` is the export's `select`: errors name it so.
    if (!(err instanceof AppError) || fields === undefined) throw err;
    throw new AppError(
      err.code,
      `fields: ${err.detail}`,
      err.errors?.map((e) => ({ ...e, path: e.path.replace(/^select/, 'fields') })),
    );
  }
}

/** Records a queued export job (its object key names the org) and returns its id. */
export async function insertExportJob(
  db: Db,
  auth: Auth,
  resource: ResourceDef,
  request: ListRequest,
  grants: UserGrants,
  format: ExportFormat,
  gzip: boolean,
): Promise<string> {
  const id = crypto.randomUUID();
  const stored: StoredQuery = { request, role: auth.role };
  const extension = `${rowFormat(format, []).extension}${gzip ? '.gz' : ''}`;
  await db.query(
    `insert into export_jobs (id, org_id, created_by, resource, query, format, gzip, grants, object_key, expires_at)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9, now() + make_interval(days => $10))`,
    [
      id,
      auth.orgId,
      auth.userId,
      resource.name,
      JSON.stringify(stored),
      format,
      gzip,
      JSON.stringify(grants),
      `orgs/${auth.orgId}/exports/${id}.${extension}`,
      EXPORT_TTL_DAYS,
    ],
  );
  return id;
}

/** Only the creator, or an org admin, sees an export. */
const JOB_ROW_SQL = `select id, resource, format, gzip, status, rows::float8 as rows, bytes::float8 as bytes,
  jsonb_array_length(parts) as parts, checkpoint, error, created_at as "createdAt", completed_at as "completedAt", expires_at as "expiresAt",
  object_key as "objectKey"
  from export_jobs where org_id = $1 and id = $2 and (created_by = $3 or $4)`;

type JobRow = Omit<z.infer<typeof ExportJobSchema>, 'progress' | 'download' | 'createdAt' | 'completedAt' | 'expiresAt'> & {
  parts: number;
  checkpoint: number;
  objectKey: string;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date | null;
};

async function jobOf(c: Context<AppContext>, id: string): Promise<JobRow> {
  const { auth } = c.var;
  const { rows } = await c.var.services.db.query<JobRow>(JOB_ROW_SQL, [auth.orgId, id.toLowerCase(), auth.userId, auth.role === 'admin']);
  if (!rows[0]) throw new AppError('not_found', 'No such export.');
  return rows[0];
}

function render(job: JobRow): z.infer<typeof ExportJobSchema> {
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: job.id,
    resource: job.resource,
    format: job.format,
    gzip: job.gzip,
    status: job.status,
    rows: job.rows,
    bytes: job.bytes,
    progress: { parts: job.parts, checkpoint: job.checkpoint },
    error: job.error,
    createdAt: iso(job.createdAt) as string,
    completedAt: iso(job.completedAt),
    expiresAt: iso(job.expiresAt),
    download: job.status === 'succeeded' ? `/v1/exports/${job.id}/download` : null,
  };
}

const createExport = createRoute({
  method: 'post',
  path: '/v1/exports',
  tags: ['exports'],
  summary: 'Start an export job',
  description:
    'Writes every row the query names (under the caller’s access as of now) to a file, in the background: 202 with the job; poll `GET /v1/exports/{id}`, then download. `Idempotency-Key` makes a retry return the same job.',
  middleware: [requireAuth(), jsonBody(), idempotency()] as const,
  request: { body: { content: { 'application/json': { schema: ExportBody } }, required: true } },
  responses: { 202: { description: 'The job, queued', content: { 'application/json': { schema: z.object({ data: ExportJobSchema }) } } }, ...errorResponses },
});

const getExport = createRoute({
  method: 'get',
  path: '/v1/exports/{id}',
  tags: ['exports'],
  summary: 'An export job: status, rows, bytes, progress',
  middleware: [requireAuth()] as const,
  request: { params: IdParam },
  responses: { 200: { description: 'The job', content: { 'application/json': { schema: z.object({ data: ExportJobSchema }) } } }, ...errorResponses },
});

const downloadExport = createRoute({
  method: 'get',
  path: '/v1/exports/{id}/download',
  tags: ['exports'],
  summary: 'The exported file, streamed from R2',
  description: 'With gzip, an `application/gzip` file (`.csv.gz`, …) made of gzip members, which gunzip and every gzip reader take as one stream.',
  middleware: [requireAuth()] as const,
  request: { params: IdParam },
  responses: {
    200: { description: 'The file (Content-Disposition: attachment)', content: { 'application/octet-stream': { schema: z.string() } } },
    409: problem('The export has not succeeded (yet)'),
    ...errorResponses,
  },
});

const cancelExport = createRoute({
  method: 'delete',
  path: '/v1/exports/{id}',
  tags: ['exports'],
  summary: 'Cancel an export (or delete its file)',
  middleware: [requireAuth()] as const,
  request: { params: IdParam },
  responses: {
    200: { description: 'The job, cancelled', content: { 'application/json': { schema: z.object({ data: ExportJobSchema }) } } },
    ...errorResponses,
  },
});

const directExport = createRoute({
  method: 'get',
  path: '/v1/{table}/export',
  tags: ['exports'],
  summary: 'A small export, answered directly',
  description: `The rows a /v1 list query names (the same filters, order and \`select\`), as one file: at most ${DIRECT_EXPORT_ROWS} rows; more is a 422 pointing to POST /v1/exports.`,
  middleware: [requireAuth()] as const,
  request: {
    params: z.object({ table: z.string().openapi({ enum: Object.keys(RESOURCES) }) }),
    query: z.looseObject({ format: z.enum(EXPORT_FORMATS).optional().openapi({ description: 'csv (default), ndjson or json' }) }),
  },
  responses: {
    200: {
      description: 'The file (Content-Disposition: attachment)',
      content: { 'text/csv': { schema: z.string() }, 'application/x-ndjson': { schema: z.string() } },
    },
    ...errorResponses,
  },
});

export const exportRoutes = createRouter()
  .openapi(directExport, async (c) => {
    const { table } = c.req.valid('param');
    const resource = Object.hasOwn(RESOURCES, table) ? RESOURCES[table] : undefined;
    if (!resource) throw new AppError('not_found', `Unknown resource "${table.slice(0, 64)}".`);
    const params = new URL(c.req.url).searchParams;
    const formatName = (params.get('format') ?? 'csv') as ExportFormat;
    params.delete('format');
    const request = exportRequest(resource, params.toString(), undefined);
    const projection = resolveProjection(CATALOG, resource, request.select);
    const format = rowFormat(formatName, projectionKeys(projection));
    const parts = [format.start()];
    let cursor: string | undefined;
    let rows = 0;
    do {
      const page = await underAccess(c, (access) => listRows(listContext(c, access), resource, { ...request, limit: LIMITS.maxLimit, cursor }));
      rows += page.rows.length;
      if (rows > DIRECT_EXPORT_ROWS)
        throw new AppError('query_too_expensive', `More than ${DIRECT_EXPORT_ROWS} rows: start an export job (POST /v1/exports) instead.`);
      parts.push(format.rows(page.rows, rows === page.rows.length));
      cursor = page.page.nextCursor ?? undefined;
    } while (cursor);
    parts.push(format.end());
    return c.body(parts.join(''), 200, {
      'Content-Type': format.contentType,
      'Content-Disposition': `attachment; filename="${resource.name}.${format.extension}"`,
    }) as never;
  })
  .openapi(createExport, async (c) => {
    const body = c.req.valid('json');
    const resource = RESOURCES[body.resource];
    const request = exportRequest(resource, body.query, body.fields);
    const { auth } = c.var;
    // The caller's grants now, checked against the rows once: the job exports what they could read at this moment.
    let grants: UserGrants | undefined;
    await underAccess(c, async (access) => {
      grants = access;
      return listRows(listContext(c, access), resource, request);
    });
    const id = await insertExportJob(c.var.services.db, auth, resource, request, grants as UserGrants, body.format, body.gzip);
    const message: ExportMessage = { jobId: id, orgId: auth.orgId };
    await c.env.EXPORT_QUEUE.send(message);
    return c.json({ data: render(await jobOf(c, id)) }, 202);
  })
  .openapi(getExport, async (c) => c.json({ data: render(await jobOf(c, c.req.valid('param').id)) }, 200))
  .openapi(downloadExport, async (c) => {
    const job = await jobOf(c, c.req.valid('param').id);
    if (job.status !== 'succeeded') throw new AppError('conflict', `The export is ${job.status}; download it once it has succeeded.`);
    const object = await c.env.EXPORTS.get(job.objectKey);
    if (!object) throw new AppError('not_found', 'The export’s file is gone.');
    const format = rowFormat(job.format, []);
    const name = `${job.resource}-${job.id}.${format.extension}${job.gzip ? '.gz' : ''}`;
    return new Response(object.body, {
      headers: {
        'Content-Type': job.gzip ? 'application/gzip' : format.contentType,
        'Content-Length': String(object.size),
        'Content-Disposition': `attachment; filename="${name}"`,
      },
    }) as never;
  })
  .openapi(cancelExport, async (c) => {
    const job = await jobOf(c, c.req.valid('param').id);
    await c.var.services.db.query(
      `update export_jobs set status = 'cancelled', updated_at = now() where org_id = $1 and id = $2 and status in ('queued', 'running')`,
      [c.var.auth.orgId, job.id],
    );
    return c.json({ data: render(await jobOf(c, job.id)) }, 200);
  });
