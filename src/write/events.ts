import { WEBHOOK_ACTIONS, WEBHOOK_OBJECTS } from '../core/enums';
import { OBJECT_RESOURCE, type ObjectType } from '../sharing/types';
import type { AuditAction, AuditEntry } from './audit';

/**
 * Change events: what a committed write did to the records of the objects webhooks follow
 * (issue 25, decision 0047), read off the write's audit entries, which already name each record,
 * the action and the changed fields.
 */

/** `deal.stage_changed` is sent beside `deal.updated` when a write moves a deal to another stage. */
export const STAGE_CHANGED = 'deal.stage_changed';

/** Every event type a subscription may name. */
export const EVENT_TYPES: readonly string[] = [...WEBHOOK_OBJECTS.flatMap((o) => WEBHOOK_ACTIONS.map((a) => `${o}.${a}`)), STAGE_CHANGED];

export interface ChangeEvent {
  /** `contact.created`, `deal.stage_changed`, … */
  type: string;
  object: ObjectType;
  /** The record's resource (`contacts`): filters are evaluated against it. */
  resource: string;
  id: string;
  /** `{field: {from, to}}` as the audit trail records it (a create: `{to}`, a hard delete: `{from}`). */
  changes: Record<string, unknown> | null;
  /** Deleted for good: the record can no longer be matched against a filter. */
  gone: boolean;
}

/**
 * Where a write hands its events after the commit. `committed` settles with the COMMIT: the sink
 * may send a statement before it (pipelined behind the COMMIT, so it costs no round trip of its
 * own) but acts only once it resolves. It never rejects: a webhook problem must not fail a write
 * that committed.
 */
export interface EventSink {
  afterCommit(events: readonly ChangeEvent[], committed: Promise<unknown>): Promise<void>;
}

/**
 * What every sink does with a write's events: `lookup` was sent before the COMMIT settled
 * (pipelined behind it); once the COMMIT succeeded, `act` runs on the rows found, if any. Never
 * rejects: a write that did not commit has no events, and a sink's failure goes to `onError`.
 */
export async function actAfterCommit<T>(
  lookup: Promise<{ rows: T[] }>,
  committed: Promise<unknown>,
  act: (rows: T[]) => Promise<void>,
  onError: (err: unknown) => void,
): Promise<void> {
  lookup.catch(() => {});
  try {
    await committed;
  } catch {
    return;
  }
  try {
    const { rows } = await lookup;
    if (rows.length) await act(rows);
  } catch (err) {
    onError(err);
  }
}

const OBJECT_OF = new Map<string, ObjectType>(Object.entries(OBJECT_RESOURCE).map(([object, resource]) => [resource, object as ObjectType]));

/** Audit actions that are events; tags, untags and the sharing objects' changes are not. */
const ACTION_EVENT: Partial<Record<AuditAction, (typeof WEBHOOK_ACTIONS)[number]>> = {
  create: 'created',
  update: 'updated',
  // A lead's conversion changes the lead (status, converted contact); what it creates has its own entries.
  convert: 'updated',
  delete: 'deleted',
  hard_delete: 'deleted',
  restore: 'restored',
};

export function changeEvents(audit: readonly AuditEntry[]): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  for (const entry of audit) {
    const object = OBJECT_OF.get(entry.objectType);
    const action = ACTION_EVENT[entry.action];
    if (!object || !action) continue;
    const event = { object, resource: entry.objectType, id: entry.objectId, changes: entry.changes, gone: entry.action === 'hard_delete' };
    out.push({ type: `${object}.${action}`, ...event });
    if (object === 'deal' && action === 'updated' && entry.changes && Object.hasOwn(entry.changes, 'stage_id')) out.push({ type: STAGE_CHANGED, ...event });
  }
  return out;
}
