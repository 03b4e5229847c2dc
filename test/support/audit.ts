// audit_log rows written directly with SQL, so trail reads are tested against what is stored,
// not against the writes that will produce it.
import { withClient } from './sql';

export interface AuditRowInput {
  at: string;
  actorId: string | null;
  action: string;
  objectType: string;
  objectId: string;
  changes?: Record<string, { from?: unknown; to?: unknown }> | null;
  requestId?: string | null;
}

export interface AuditRow extends AuditRowInput {
  orgId: string;
  id: string;
}

/**
 * The month partitions holding these days (ensure_audit_partition, migration 0002). Creation is
 * serialised by an advisory lock: two test files creating the same partition at once would
 * otherwise race past `if not exists`.
 */
export async function ensureAuditMonths(days: string[]): Promise<void> {
  await withClient(async (c) => {
    await c.query('begin');
    try {
      await c.query(`select pg_advisory_xact_lock(hashtext('ensure_audit_partition'))`);
      for (const day of days) await c.query('select ensure_audit_partition($1::date)', [day]);
      await c.query('commit');
    } catch (err) {
      await c.query('rollback');
      throw err;
    }
  });
}

/** Inserts the rows in order (ids ascend with it) and returns them with their ids. */
export async function insertAuditRows(orgId: string, rows: AuditRowInput[]): Promise<AuditRow[]> {
  return withClient(async (c) => {
    const out: AuditRow[] = [];
    for (const r of rows) {
      const { rows: inserted } = await c.query<{ id: string }>(
        `insert into audit_log (org_id, at, actor_id, action, object_type, object_id, changes, request_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id::text`,
        [orgId, r.at, r.actorId, r.action, r.objectType, r.objectId, r.changes === undefined ? null : JSON.stringify(r.changes), r.requestId ?? null],
      );
      out.push({ ...r, orgId, id: inserted[0].id });
    }
    return out;
  });
}

/** The trail's order: newest first, then the later id. Ids are bigints as text: compare as BigInt. */
export function newestFirst(a: AuditRow, b: AuditRow): number {
  const at = Date.parse(b.at) - Date.parse(a.at) || micros(b.at) - micros(a.at);
  if (at) return at;
  return BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0;
}

/** Sub-millisecond digits of an ISO instant (Date.parse stops at milliseconds). */
function micros(iso: string): number {
  const m = /\.\d{3}(\d{1,3})/.exec(iso);
  return m ? Number(m[1].padEnd(3, '0')) : 0;
}
