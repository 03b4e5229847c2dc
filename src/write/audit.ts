import { auditLog } from '../db/schema/audit-log';
import type { ResourceDef } from '../query/resource';
import type { Orm } from './orm';

/** What a write did to one record, as the audit trail records it. */
export type AuditAction = 'create' | 'update' | 'delete' | 'restore' | 'hard_delete' | 'convert' | 'tag' | 'untag';

export interface AuditEntry {
  action: AuditAction;
  objectType: string;
  objectId: string;
  changes: Record<string, unknown> | null;
}

/** A row as `to_jsonb(table)` gives it: column name → JSON value. */
export type RowJson = Record<string, unknown>;

// Derived or bookkeeping columns: never part of a diff.
const SKIP = new Set(['org_id', 'search', 'search_text', 'updated_at', 'created_at']);

/** Column name → the API's field name (the same today, but reads name fields, not columns). */
function fieldNames(resource: ResourceDef): Map<string, string> {
  return new Map(Object.entries(resource.fields).map(([name, f]) => [f.column, name]));
}

/**
 * The fields that changed between two versions of a row, `{field: {from, to}}`; a create has
 * no `before` (every field it set, `{to}`), a hard delete no `after` (what was removed, `{from}`).
 */
export function diff(resource: ResourceDef, before: RowJson | null, after: RowJson | null): Record<string, unknown> {
  const names = fieldNames(resource);
  const out: Record<string, unknown> = {};
  for (const col of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    if (SKIP.has(col) || col === 'id') continue;
    const from = before?.[col] ?? null;
    const to = after?.[col] ?? null;
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    const name = names.get(col) ?? col;
    out[name] = !before ? { to } : !after ? { from } : { from, to };
  }
  return out;
}

/**
 * One statement for every entry of a write, inside the write's transaction: the trail commits
 * with the change or not at all. Rows land in the month's partition of `audit_log` by `at`.
 */
export function insertAudit(tx: Orm, ctx: { orgId: string; actorId: string; requestId: string }, entries: readonly AuditEntry[]) {
  return tx.insert(auditLog).values(
    entries.map((e) => ({
      orgId: ctx.orgId,
      actorId: ctx.actorId,
      action: e.action,
      objectType: e.objectType,
      objectId: e.objectId,
      changes: e.changes,
      requestId: ctx.requestId,
    })),
  );
}

/** Postgres' answer to a row whose month has no partition yet (SQLSTATE 23514). */
export function isMissingPartition(err: unknown): boolean {
  // Drizzle's wrapper → our mapped AppError → the driver's error, which has the server's text.
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/no partition of relation "audit_log"/.test(String((e as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}
