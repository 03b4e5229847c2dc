import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { SHARED_OBJECT_TYPES } from '../../core/enums';
import { AppError } from '../../core/errors';
import type { Db } from '../../db/client';
import { requireAuth } from '../../http/auth';
import type { AppContext } from '../../http/context';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { criteriaSql } from '../../query/access';
import { orgPredicate, Params } from '../../query/params';
import type { ResourceDef } from '../../query/resource';
import { type Explanation, explainAccess, type RecordShare } from '../../sharing/explain';
import { compileObjectGrants } from '../../sharing/grants';
import { loadSnapshot } from '../../sharing/snapshot';
import { OBJECT_RESOURCE, type ObjectGrant, type ObjectType } from '../../sharing/types';
import { CATALOG } from '../registry';

/**
 * GET /v1/{resource}/{id}/access: why a user may (or may not) read and edit one record of a
 * shared resource. Built from the pieces the reads use: the org's snapshot (fresh from Postgres,
 * the one the org's Durable Object compiles from), the user's grants compiled from it, the
 * record's owner, its manual shares, and its match against each of the user's criteria rules
 * evaluated in SQL by the query layer's own compiler (src/query/access.ts).
 */

const REASON_KINDS = ['admin', 'org_default', 'owner', 'hierarchy', 'owner_rule', 'criteria_rule', 'share'] as const;

const Via = z
  .object({
    owner_id: z.guid().optional().openapi({ description: 'hierarchy: the record’s owner' }),
    chain: z.array(z.guid()).optional().openapi({ description: 'hierarchy: the managers from the owner’s own manager up to the user (the user last)' }),
    rule_id: z.guid().optional().openapi({ description: 'owner_rule, criteria_rule: the rule (GET /v1/sharing/rules/{id})' }),
    name: z.string().optional().openapi({ description: 'owner_rule, criteria_rule: its name' }),
    target_type: z.enum(['user', 'team', 'role']).optional().openapi({ description: 'owner_rule, criteria_rule: whom the rule opens to' }),
    target_id: z.string().optional(),
    share_id: z.guid().optional().openapi({ description: 'share: the manual share (DELETE /v1/sharing/shares/{id})' }),
    grantee_type: z.enum(['user', 'team']).optional().openapi({ description: 'share: shared with the user, or with their team' }),
    grantee_id: z.guid().optional(),
  })
  .openapi('AccessVia', { description: 'Through what the reason applies; present for hierarchy, rules and shares.' });

const Reason = z
  .object({
    kind: z.enum(REASON_KINDS),
    access: z.enum(['read', 'edit', 'none']).openapi({
      description:
        'What this reason grants. `none` appears once, as `org_default`, when the user may not read the record: the default is private and nothing grants access.',
    }),
    detail: z.string().openapi({ description: 'The reason in words.' }),
    via: Via.optional(),
  })
  .openapi('AccessReason');

const AccessExplanation = z
  .object({
    data: z.object({
      user_id: z.guid(),
      record_id: z.guid(),
      read: z.boolean().openapi({ description: 'Whether lists and gets show the record to the user.' }),
      edit: z.boolean().openapi({ description: 'Whether the user may change, delete or restore it.' }),
      reasons: z.array(Reason).openapi({
        description: 'Every grant that applies, in this order: admin, org_default, owner, hierarchy, owner rules, criteria rules, shares.',
      }),
    }),
  })
  .openapi('AccessExplanation');

const AccessQuery = z.object({
  user: z.guid().optional().openapi({ description: 'The user asked about (admins only; default: the caller).' }),
});
const IdParam = z.object({ id: z.guid().openapi({ description: 'Record id (UUID)' }) });

interface ShareRow {
  id: string;
  grantee_type: RecordShare['granteeType'];
  grantee_id: string;
  access: RecordShare['access'];
}

/** Answers the question for one record; 404 when it is no live record of the org, or (asking about oneself) one the caller may not read. */
async function explain(c: Context<AppContext>, resource: ResourceDef, type: ObjectType, recordId: string, asked: string | undefined) {
  const auth = c.var.auth;
  const userId = asked?.toLowerCase() ?? auth.userId;
  if (userId !== auth.userId && auth.role !== 'admin') throw new AppError('forbidden', 'Only admins may ask about another user’s access.');
  const db = c.var.services.db;
  const a = resource.alias;
  const live = resource.softDelete ? ` and ${a}.deleted_at is null` : '';
  // One round trip: the snapshot's four statements, the record and its shares, sent together.
  const [snapshot, record, shares] = await Promise.all([
    loadSnapshot(db, auth.orgId),
    db.query<{ owner_id: string | null }>(
      `select ${a}.owner_id::text as owner_id from ${resource.table} ${a} where ${orgPredicate(a)} and ${a}.id = $2${live}`,
      [auth.orgId, recordId],
    ),
    db.query<ShareRow>(
      `select id::text as id, grantee_type, grantee_id::text as grantee_id, access from record_shares
       where org_id = $1 and object_type = $2 and record_id = $3 order by created_at, id`,
      [auth.orgId, type, recordId],
    ),
  ]);
  const missing = new AppError('not_found', `No such record in ${resource.name}.`);
  if (!record.rows.length) throw missing;
  if (!snapshot.users.some((u) => u.id === userId)) throw new AppError('not_found', 'No such user in the org.');
  const grant = compileObjectGrants(snapshot, userId)[type];
  const explanation = explainAccess(
    snapshot,
    userId,
    type,
    {
      ownerId: record.rows[0].owner_id,
      matchedCriteria: await matchedCriteria(db, resource, auth.orgId, recordId, grant),
      shares: shares.rows.map((s) => ({ id: s.id, granteeType: s.grantee_type, granteeId: s.grantee_id, access: s.access })),
    },
    grant,
  );
  // Asking about oneself must not confirm a record one cannot read: as a get, it does not exist.
  if (!explanation.read && userId === auth.userId && auth.role !== 'admin') throw missing;
  return render(userId, recordId, explanation);
}

/**
 * The user's criteria rules the record matches: one statement with each rule's condition as a
 * column, compiled as the reads compile it. A stored rule that no longer passes the whitelist
 * grants nothing (as on reads), so it is not asked about.
 */
async function matchedCriteria(db: Db, resource: ResourceDef, orgId: string, recordId: string, grant: ObjectGrant): Promise<Set<string>> {
  const matched = new Set<string>();
  if (!grant.criteria.length) return matched;
  const p = new Params(orgId);
  const columns: Array<{ ruleId: string; sql: string }> = [];
  for (const rule of grant.criteria) {
    // Checked on scratch parameters first, so a refused rule leaves no untyped parameter behind.
    try {
      criteriaSql(resource, rule.where, new Params(orgId), CATALOG);
    } catch {
      continue;
    }
    columns.push({ ruleId: rule.ruleId, sql: criteriaSql(resource, rule.where, p, CATALOG) });
  }
  if (!columns.length) return matched;
  const a = resource.alias;
  const select = columns.map((col, i) => `coalesce(${col.sql}, false) as c${i}`).join(', ');
  const { rows } = await db.query<Record<string, boolean>>(
    `select ${select} from ${resource.table} ${a} where ${orgPredicate(a)} and ${a}.id = ${p.add(recordId)}::uuid`,
    p.values,
  );
  for (const [i, col] of columns.entries()) if (rows[0]?.[`c${i}`]) matched.add(col.ruleId);
  return matched;
}

function render(userId: string, recordId: string, e: Explanation) {
  return { data: { user_id: userId, record_id: recordId, read: e.read, edit: e.edit, reasons: e.reasons } };
}

/** GET /v1/{resource}/{id}/access for every shared resource (contacts, companies, leads, deals, activities). */
export function accessRoutes() {
  const router = createRouter();
  for (const type of SHARED_OBJECT_TYPES) {
    const resource = CATALOG[OBJECT_RESOURCE[type]];
    const route = createRoute({
      method: 'get',
      path: `/v1/${resource.name}/{id}/access`,
      tags: [resource.name],
      summary: `Why a user can (or cannot) see one of ${resource.name}`,
      description:
        'Whether the user reads and edits the record, and every grant that lets them: the admin role, the org-wide default, ownership, the hierarchy (through whom), owner and criteria rules, manual shares. Admins ask about any user of the org (`user`); anyone else only about themselves, and a record they cannot read is a 404 to them, as a get would be. Live records only.',
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: AccessQuery },
      responses: {
        200: { description: 'The explanation', content: { 'application/json': { schema: AccessExplanation } } },
        ...errorResponses,
        403: problem('A non-admin asked about another user'),
        404: problem('No such live record in the org, no such user in the org, or (asking about oneself) a record one cannot read'),
      },
    });
    router.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await explain(c, resource, type, id.toLowerCase(), c.req.valid('query').user), 200);
    });
  }
  return router;
}
