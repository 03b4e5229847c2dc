import { bigint, boolean, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { EXPORT_FORMATS, JOB_STATUSES } from '../../core/enums';
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
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    rows: bigint('rows', { mode: 'number' }).notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    cursor: text('cursor'),
    objectKey: text('object_key'),
    uploadId: text('upload_id'),
    error: text('error'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    index('export_jobs_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('export_jobs_expires_idx').on(t.expiresAt),
    oneOf('export_jobs_format_check', t.format, EXPORT_FORMATS),
    oneOf('export_jobs_status_check', t.status, JOB_STATUSES),
  ],
);
