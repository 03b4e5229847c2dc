import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import { requireAuth } from '../../http/auth';
import type { AppContext } from '../../http/context';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { getRecord } from '../../query/execute';
import { underAccess } from '../access';
import { CATALOG } from '../registry';
import { renderList } from '../render';
import { listContext } from '../router';
import { listAudit } from './list';
import { AUDIT_LIMIT, AuditPage, AuditQuery } from './schema';

const DESCRIPTION = `Who changed what, newest first (by \`at\`, then \`id\`). Filters combine with AND: \`object_type\` and \`object_id\` (one record's trail), \`actor\`, \`action\`, and the window \`from\` (inclusive) to \`to\` (exclusive). Admins read the whole org's trail; managers and members read one record's trail at a time (\`object_type\` and \`object_id\` both given, else a 403), of a record they may read (else a 404, as for a record of another org). Page with \`cursor\` (${AUDIT_LIMIT.default} rows by default, at most ${AUDIT_LIMIT.max}). See docs/decisions/0036-audit-trail-reads.md.`;

const listRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'The audit trail',
  description: DESCRIPTION,
  security: [{ bearer: [] }],
  middleware: [requireAuth()] as const,
  request: { query: AuditQuery },
  responses: {
    200: { description: 'A page of the trail', content: { 'application/json': { schema: AuditPage } } },
    ...errorResponses,
    403: problem('A manager or member asked for more than one record’s trail (give object_type and object_id)'),
  },
});

/**
 * Decision 0036, narrowed by sharing (0041): the org's whole trail (who did what, across every
 * record, with the values changed) is for admins. Anyone else reads the trail of one record at a
 * time, and only of a record they may read: a record of a shared type is looked up under their
 * grants (a hidden one is a 404, never its history); sharing's own configuration is admins' only.
 */
async function authoriseTrail(c: Context<AppContext>, query: AuditQuery): Promise<void> {
  if (c.var.auth.role === 'admin') return;
  if (query.object_type === undefined || query.object_id === undefined) {
    throw new AppError('forbidden', "Only admins read the org's whole trail: give object_type and object_id for one record's.");
  }
  const resource = Object.hasOwn(CATALOG, query.object_type) ? CATALOG[query.object_type] : undefined;
  if (!resource) throw new AppError('forbidden', `Only admins read the trail of ${query.object_type}.`);
  const id = query.object_id;
  await underAccess(c, (access) => getRecord(listContext(c, access), resource, id, { deleted: 'include' }));
}

/** The months of the org's trail the daily upkeep archived to R2 (audit_archives). */
async function archivedMonths(db: Db, orgId: string): Promise<Array<{ month: string; object: string; manifest: string; rows: number }>> {
  const { rows } = await db.query<{ month: string; object: string; manifest: string; rows: number }>(
    `select to_char(month, 'YYYY-MM') as month, object_key as object, manifest_key as manifest, (org_rows->>$1)::int as rows
     from audit_archives where org_rows ? $1 order by month`,
    [orgId],
  );
  return rows;
}

/** GET /v1/audit, mounted before the /v1/{resource} routes. */
export function auditRoutes() {
  return createRouter().openapi(listRoute, async (c) => {
    const started = performance.now();
    const query = c.req.valid('query');
    await authoriseTrail(c, query);
    const result = await listAudit({ db: c.var.services.db, auth: c.var.auth, secret: c.var.services.vars.JWT_SECRET }, query);
    // The shared envelope: Content-Range and meta as every /v1 list has them.
    const { meta } = renderList(c, result, started);
    // At the end of the trail, say what older history is archived, and where.
    const archived = result.page.hasMore ? [] : await archivedMonths(c.var.services.db, c.var.auth.orgId);
    return c.json({ data: result.rows, page: result.page, ...(archived.length ? { archived } : {}), meta }, 200);
  });
}
