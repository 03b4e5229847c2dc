import { createRoute } from '@hono/zod-openapi';
import type { Auth } from '../../core/auth';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { renderList } from '../render';
import { listAudit } from './list';
import { AUDIT_LIMIT, AuditPage, AuditQuery } from './schema';

const DESCRIPTION = `Who changed what, newest first (by \`at\`, then \`id\`). Filters combine with AND: \`object_type\` and \`object_id\` (one record's trail), \`actor\`, \`action\`, and the window \`from\` (inclusive) to \`to\` (exclusive). Admins and managers read the whole org's trail; members read one record's trail at a time (\`object_type\` and \`object_id\` both given), else a 403. Page with \`cursor\` (${AUDIT_LIMIT.default} rows by default, at most ${AUDIT_LIMIT.max}). See docs/decisions/0036-audit-trail-reads.md.`;

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
    403: problem('A member asked for more than one record’s trail (give object_type and object_id)'),
  },
});

/**
 * Decision 0036: the org's whole trail (who did what, across every record) is for admins and
 * managers; a member reads the trail of one record at a time.
 */
function authoriseTrail(auth: Auth, query: AuditQuery): void {
  if (auth.role !== 'member') return;
  if (query.object_type === undefined || query.object_id === undefined) {
    throw new AppError('forbidden', "Members read one record's trail at a time: give object_type and object_id.");
  }
}

/** GET /v1/audit, mounted before the /v1/{resource} routes. */
export function auditRoutes() {
  return createRouter().openapi(listRoute, async (c) => {
    const started = performance.now();
    const query = c.req.valid('query');
    authoriseTrail(c.var.auth, query);
    const result = await listAudit({ db: c.var.services.db, auth: c.var.auth, secret: c.var.services.vars.JWT_SECRET }, query);
    // The shared envelope: Content-Range and meta as every /v1 list has them.
    const { meta } = renderList(c, result, started);
    return c.json({ data: result.rows, page: result.page, meta }, 200);
  });
}
