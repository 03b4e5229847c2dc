import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireAuth } from '../http/auth';
import { jsonBody } from '../http/body';
import type { AppContext } from '../http/context';
import { etagOf, parseIfMatch } from '../http/etag';
import { idempotency } from '../http/idempotency';
import { createRouter, errorResponses, problem } from '../http/openapi';
import { getRecord, getRecords, type RecordRow } from '../query/execute';
import type { ResourceDef } from '../query/resource';
import { grantsFor } from '../sharing/access';
import { bodySchemas, normalise } from '../write/body';
import { answerSelect, applyChanges, deleteRecord, restoreRecord } from '../write/records';
import type { Change, WriteContext, WriteResult } from '../write/types';
import { changeSink } from './change-sink';
import { CATALOG, RESOURCES } from './registry';
import { RESOURCE_SCHEMAS } from './schema';

/** Every resource with a write side: the listable ones, and those only embedded on reads. */
export const WRITABLE: readonly ResourceDef[] = Object.values(CATALOG).filter((r) => r.write);

/** The request's writes tell the org's change webhooks what they committed (decision 0047). */
export function writeContext(c: Context<AppContext>): WriteContext {
  return { db: c.var.services.db, auth: c.var.auth, catalog: CATALOG, requestId: c.var.requestId, events: changeSink(c) };
}

/**
 * For writes and gets by id: the caller's sharing grants too, so a record they may not read is a
 * 404 and one they may only read a 403 (src/write/records.ts checkAccess), and a create may only
 * reference records they may read (a loyalty entry: edit its contact). Read from
 * the version statement and isolate memory (or the org's Durable Object after a change).
 */
export async function editContext(c: Context<AppContext>): Promise<WriteContext> {
  const { grants } = await grantsFor(c.env, c.var.services.db, c.var.auth);
  return { ...writeContext(c), access: grants };
}

const IdParam = z.object({ id: z.guid().openapi({ description: 'Record id (UUID)' }) });

const writeResponses = {
  ...errorResponses,
  403: problem('The caller’s role may not make this write'),
  409: problem('A uniqueness rule or a concurrent idempotent request (`rule` names it)'),
  412: problem('If-Match does not match the record’s current ETag; nothing changed'),
  415: problem('The body is not JSON'),
  422: problem('A data rule (`rule`) or a reference outside the org'),
} as const;

const IdempotencyHeader = {
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Makes a retry safe: the first answer to a key is replayed for 24 h (docs/api.md, Idempotency).' }),
};

const IfMatchHeader = z.object({
  'if-match': z.string().optional().openapi({ description: 'The ETag a GET gave; a write against a newer version is refused (412).' }),
});

/** Sets what every write answers with: X-Generation, and ETag/Location for one record. */
async function answer(c: Context<AppContext>, resource: ResourceDef, result: WriteResult): Promise<RecordRow[]> {
  const [generation, rows] = await Promise.all([
    result.generation,
    result.records ?? getRecords(writeContext(c), resource, result.ids, { select: answerSelect(resource), deleted: 'include' }),
  ]);
  c.header('X-Generation', String(generation));
  // A record deleted for good by the write has nothing to render.
  return result.ids.flatMap((id) => {
    const r = rows.get(id);
    return r ? [r] : [];
  });
}

function routesFor(r: ResourceDef) {
  const { create, update, batch } = bodySchemas(r);
  const record = RESOURCE_SCHEMAS[r.name]?.record ?? z.object({ data: z.record(z.string(), z.unknown()) });
  const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } }, required: true });
  const tags = [r.name];
  const router = createRouter();

  // Resources only embedded on reads (stages, addresses, loyalty entries) are still addressed
  // by their writes (Location) and versioned (If-Match): a GET by id serves both.
  if (!Object.hasOwn(RESOURCES, r.name)) {
    router.openapi(
      createRoute({
        method: 'get',
        path: `/v1/${r.name}/{id}`,
        tags,
        summary: `Get one of ${r.name}`,
        middleware: [requireAuth()] as const,
        request: { params: IdParam },
        responses: { 200: { description: 'The record; ETag header', content: { 'application/json': { schema: record } } }, ...errorResponses },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { row, version } = await getRecord(await editContext(c), r, id, { select: answerSelect(r), deleted: 'exclude' });
        c.header('ETag', etagOf(version));
        return c.json({ data: row }, 200);
      },
    );
  }

  router.openapi(
    createRoute({
      method: 'post',
      path: `/v1/${r.name}`,
      tags,
      summary: `Create one of ${r.name}`,
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { headers: z.object(IdempotencyHeader), body: json(create) },
      responses: {
        201: { description: 'Created; ETag, Location and X-Generation headers', content: { 'application/json': { schema: record } } },
        ...writeResponses,
      },
    }),
    async (c) => {
      const values = normalise(r, c.req.valid('json') as Record<string, unknown>);
      const result = await applyChanges(await editContext(c), r, [{ values, path: '' }]);
      const [row] = await answer(c, r, result);
      c.header('ETag', etagOf(row.version));
      c.header('Location', `/v1/${r.name}/${row.id}`);
      return c.json({ data: row.row }, 201);
    },
  );

  router.openapi(
    createRoute({
      method: 'patch',
      path: `/v1/${r.name}/{id}`,
      tags,
      summary: `Update one of ${r.name}`,
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { params: IdParam, headers: IfMatchHeader.extend(IdempotencyHeader), body: json(update) },
      responses: { 200: { description: 'Updated; ETag and X-Generation headers', content: { 'application/json': { schema: record } } }, ...writeResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const change: Change = {
        id: id.toLowerCase(),
        values: normalise(r, c.req.valid('json') as Record<string, unknown>),
        path: '',
        ifMatch: parseIfMatch(c.req.header('If-Match')),
      };
      const [row] = await answer(c, r, await applyChanges(await editContext(c), r, [change]));
      c.header('ETag', etagOf(row.version));
      return c.json({ data: row.row }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'delete',
      path: `/v1/${r.name}/{id}`,
      tags,
      summary: r.softDelete
        ? `Delete one of ${r.name} (soft; hard=true for good, admins)`
        : r.name === 'users'
          ? 'Deactivate a user (hard=true deletes, admins)'
          : `Delete one of ${r.name}`,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        headers: IfMatchHeader,
        query: z.object({ hard: z.enum(['true', 'false']).optional().openapi({ description: 'Delete for good (admins only).' }) }),
      },
      responses: { 204: { description: 'Deleted; X-Generation header' }, ...writeResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const hard = c.req.valid('query').hard === 'true';
      const result = await deleteRecord(await editContext(c), r, id.toLowerCase(), { hard, ifMatch: parseIfMatch(c.req.header('If-Match')) });
      c.header('X-Generation', String(await result.generation));
      return c.body(null, 204);
    },
  );

  if (r.softDelete) {
    router.openapi(
      createRoute({
        method: 'post',
        path: `/v1/${r.name}/{id}/restore`,
        tags,
        summary: `Restore a deleted one of ${r.name}`,
        middleware: [requireAuth()] as const,
        request: { params: IdParam },
        responses: { 200: { description: 'Restored (or already live)', content: { 'application/json': { schema: record } } }, ...writeResponses },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const [row] = await answer(c, r, await restoreRecord(await editContext(c), r, id.toLowerCase()));
        c.header('ETag', etagOf(row.version));
        return c.json({ data: row.row }, 200);
      },
    );
  }

  router.openapi(
    createRoute({
      method: 'post',
      path: `/v1/${r.name}/batch`,
      tags,
      summary: `Create or update up to 1000 of ${r.name}, all or nothing`,
      description: 'Records with `id` update that record; records without create one. One transaction; errors name `records[i].field`.',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { headers: z.object(IdempotencyHeader), body: json(batch) },
      responses: {
        200: {
          description: 'Every record as written, in request order; X-Generation header',
          content: { 'application/json': { schema: z.object({ data: z.array(record.shape.data) }) } },
        },
        ...writeResponses,
      },
    }),
    async (c) => {
      const { records } = c.req.valid('json') as { records: Array<Record<string, unknown>> };
      const changes: Change[] = records.map(({ id, ...values }, i) => ({
        ...(id ? { id: String(id) } : {}),
        values: normalise(r, values),
        path: `records[${i}].`,
      }));
      const ctx = await editContext(c);
      const rows = await answer(c, r, await applyChanges(ctx, r, changes));
      return c.json({ data: rows.map((x) => x.row) }, 200);
    },
  );
  return router;
}

/** POST, PATCH, DELETE, restore and batch under /v1 for every writable resource. */
export function writeRoutes() {
  const router = createRouter();
  for (const r of WRITABLE) router.route('/', routesFor(r));
  return router;
}
