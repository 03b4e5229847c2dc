import type { Auth } from '../../core/auth';
import type { Db } from '../../db/client';
import { decodeCursor, encodeCursor, shapeHash } from '../../query/cursor';
import { isoSql, orgPredicate, Params } from '../../query/params';
import { AUDIT_LIMIT, type AuditEntry, type AuditQuery } from './schema';

/** The filters of one trail: everything in the query but the page size and the cursor. */
export type AuditFilters = Omit<AuditQuery, 'limit' | 'cursor'>;

export interface AuditPlan {
  statement: string;
  values: unknown[];
}

/** The order key of the last row of a page, as the rows render it: `at` (ISO, microseconds) and `id`. */
export type AuditKey = [at: string, id: string];

/**
 * One page of the trail, newest first on (at desc, id desc), as one statement. The org predicate
 * comes first; `from`/`to` are plain bounds on `at`, and so is the cursor (`at <=` beside the row
 * comparison), so Postgres prunes the month partitions outside them when it plans. `id` breaks
 * ties between changes committed in the same microsecond. One row more than the page says
 * whether there is a next one.
 */
export function planAuditPage(orgId: string, filters: AuditFilters, limit: number, after?: AuditKey): AuditPlan {
  const p = new Params(orgId);
  const where = [orgPredicate('a')];
  if (filters.object_type !== undefined) where.push(`a.object_type = ${p.add(filters.object_type)}`);
  if (filters.object_id !== undefined) where.push(`a.object_id = ${p.add(filters.object_id)}::uuid`);
  if (filters.actor !== undefined) where.push(`a.actor_id = ${p.add(filters.actor)}::uuid`);
  if (filters.action !== undefined) where.push(`a.action = ${p.add(filters.action)}`);
  if (filters.from !== undefined) where.push(`a.at >= ${p.add(filters.from)}::timestamptz`);
  if (filters.to !== undefined) where.push(`a.at < ${p.add(filters.to)}::timestamptz`);
  if (after) {
    const at = `${p.add(after[0])}::timestamptz`;
    where.push(`a.at <= ${at}`, `(a.at, a.id) < (${at}, ${p.add(after[1])}::bigint)`);
  }
  const statement = `select a.id::text as id, ${isoSql('a.at')} as at, a.actor_id, a.action, a.object_type, a.object_id, a.changes, a.request_id
    from audit_log a where ${where.join(' and ')} order by a.at desc, a.id desc limit ${p.add(limit + 1)}`;
  return { statement, values: p.values };
}

export interface AuditContext {
  db: Db;
  auth: Auth;
  /** HMAC secret for cursors (JWT_SECRET; cursor.ts separates the domains). */
  secret: string;
}

export interface AuditResult {
  rows: AuditEntry[];
  page: { limit: number; nextCursor: string | null; hasMore: boolean };
}

/** A cursor is valid only for the trail that produced it: same org, user and filters. */
function trailShape(auth: Auth, f: AuditFilters): Promise<string> {
  const filters = [f.object_type, f.object_id, f.actor, f.action, f.from, f.to].map((v) => v ?? null);
  return shapeHash(['audit', auth.orgId, auth.userId, ...filters]);
}

/** A page of the caller's org's audit trail. Who may ask for what is the route's decision, not this verb's. */
export async function listAudit(ctx: AuditContext, query: AuditQuery): Promise<AuditResult> {
  const { limit = AUDIT_LIMIT.default, cursor, ...filters } = query;
  const shape = await trailShape(ctx.auth, filters);
  const after = cursor ? ((await decodeCursor(ctx.secret, cursor, shape, 2)).k as AuditKey) : undefined;
  const plan = planAuditPage(ctx.auth.orgId, filters, limit, after);
  const { rows } = await ctx.db.query<AuditEntry>(plan.statement, plan.values);
  const hasMore = rows.length > limit;
  if (hasMore) rows.length = limit;
  const last = rows[rows.length - 1];
  const nextCursor = hasMore && last ? await encodeCursor(ctx.secret, shape, [last.at, last.id]) : null;
  return { rows, page: { limit, nextCursor, hasMore } };
}
