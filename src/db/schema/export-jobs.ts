import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { EXPORT_FORMATS, EXPORT_STATUSES } from '../../core/enums';
import { id, oneOf, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

export const exportJobs = pgTable(
  'export_jobs',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    resource: text('resource').notNull(),
    query: jsonb('query').notNull().default({}),
    format: text('format', { enum: EXPORT_FORMATS }).notNull().default('csv'),
    gzip: boolean('gzip').notNull().default(true),
    status: text('status', { enum: EXPORT_STATUSES }).notNull().default('queued'),
    rows: bigint('rows', { mode: 'number' }).notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    cursor: text('cursor'),
    objectKey: text('object_key'),
    uploadId: text('upload_id'),
    error: text('error'),
    /** The creator's sharing grants when the job was created (migrations/0017_export_progress.sql). */
    grants: jsonb('grants'),
    /** R2 multipart parts uploaded so far: [{ partNumber, etag }]. */
    parts: jsonb('parts').notNull().default([]),
    /** Checkpoints committed; the bytes not yet in a part are in `<object_key>.carry.<checkpoint>`. */
    checkpoint: integer('checkpoint').notNull().default(0),
    /** Gzip: CRC-32 and length of the uncompressed bytes up to the checkpoint (the trailer needs both). */
    crc: bigint('crc', { mode: 'number' }).notNull().default(0),
    rawBytes: bigint('raw_bytes', { mode: 'number' }).notNull().default(0),
    /** The delivery running the job holds it until then (renewed at each checkpoint). */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    index('export_jobs_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('export_jobs_expires_idx').on(t.expiresAt),
    oneOf('export_jobs_format_check', t.format, EXPORT_FORMATS),
    oneOf('export_jobs_status_check', t.status, EXPORT_STATUSES),
  ],
);
