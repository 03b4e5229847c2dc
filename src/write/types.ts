import type { Auth } from '../core/auth';
import type { Db } from '../db/client';
import type { RecordRow } from '../query/execute';
import type { Catalog } from '../query/resource';
import type { UserGrants } from '../sharing/types';
import type { AuditEntry, RowJson } from './audit';
import type { EventSink } from './events';
import type { Orm } from './orm';

/** Who writes, through which connection. */
export interface WriteContext {
  /** The caller's sharing grants: a write reaches only records they may read, and changes only those they may edit. */
  access?: UserGrants;
  db: Db;
  auth: Auth;
  catalog: Catalog;
  requestId: string;
  /** Told after the commit what the write changed (change webhooks); none: nobody is told. */
  events?: EventSink;
}

/** One record to create (no `id`) or update (`id`), with validated values by API field name. */
export interface Change {
  id?: string;
  values: Record<string, unknown>;
  /** Where the record sits in the request, for error paths: '' or `records[2].`. */
  path: string;
  /** The versions the client accepts (from `If-Match`); a current one not among them is a 412. */
  ifMatch?: readonly string[];
}

export interface WriteResult {
  /** Ids of the records written, in the order of the changes. */
  ids: string[];
  /**
   * The org's generation after the commit (`X-Generation`): its statement is already sent, so
   * the caller's next statement (rendering the records) shares its round trip.
   */
  generation: Promise<number>;
  /** The records as a GET renders them, when the write was asked to render (sent behind its COMMIT). */
  records?: Promise<Map<string, RecordRow>>;
}

export interface Locked {
  row: RowJson;
  version: string;
}

/** What a resource's own rule sees, inside the transaction, after the rows are locked. */
export interface RuleInput {
  ctx: WriteContext;
  db: Orm;
  changes: Change[];
  before: ReadonlyMap<string, Locked>;
  audit: AuditEntry[];
}
