import { z } from '@hono/zod-openapi';
import { isValidTimestamp } from '../../query/values';
import { CATALOG } from '../registry';
import { PageInfo, ResponseMeta } from '../schema';

/**
 * What an audit record can be about: every resource with a write side (the listable ones, and
 * stages, addresses and customer relationships, written on their own but read embedded). A name
 * outside this list is a typo, refused rather than answered with an empty trail.
 */
export const AUDIT_OBJECT_TYPES = [
  ...Object.values(CATALOG)
    .filter((r) => r.write)
    .map((r) => r.name),
  // Sharing's own configuration (src/resources/sharing/), audited like any write.
  'sharing_settings',
  'sharing_rules',
  'record_shares',
].sort() as [string, ...string[]];

export const AUDIT_LIMIT = { default: 50, max: 200 } as const;

/**
 * An instant with an explicit offset (`Z` or ±hh:mm) that Postgres stores: a time without one
 * would be read in the session's time zone, and years before 1 or offsets past ±15:59 are
 * refused by Postgres itself (a 400 naming the parameter here, not a bare one from the database).
 */
const instant = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .refine(isValidTimestamp, 'not an instant Postgres stores (years 1–9999, at most 6 decimals of a second, offsets within ±15:59)')
    .optional()
    .openapi({ description, example: '2026-10-01T00:00:00Z' });

/**
 * Orders two valid instants to the microsecond: Date.parse stops at the millisecond, and the
 * digits after it only ever add time (the fraction counts up from the second).
 */
function compareInstants(a: string, b: string): number {
  const micros = (t: string) => Number((/\.\d{3}(\d{1,3})/.exec(t)?.[1] ?? '').padEnd(3, '0'));
  return Date.parse(a) - Date.parse(b) || micros(a) - micros(b);
}

const uuid = (description: string) => z.guid().optional().openapi({ description });

/**
 * GET /v1/audit's parameters. Unknown names are refused (strict): a mistyped filter must not
 * silently widen the trail to the whole org.
 */
export const AuditQuery = z
  .strictObject({
    object_type: z
      .enum(AUDIT_OBJECT_TYPES)
      .optional()
      .openapi({ description: 'The resource the records are about, e.g. `contacts`. Members must give it with `object_id`.' }),
    object_id: uuid('The record whose trail to read. Members must give it with `object_type`.'),
    actor: uuid('Only changes made by this user.'),
    action: z
      .string()
      .regex(/^[a-z][a-z_]{0,31}$/, 'an action name: lowercase letters and _, e.g. update')
      .optional()
      .openapi({ description: 'Only this action: `create`, `update`, `delete`, `restore`, `hard_delete`, `convert`, …', example: 'update' }),
    from: instant('Changes at or after this instant (inclusive).'),
    to: instant('Changes before this instant (exclusive).'),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, `a whole number from 1 to ${AUDIT_LIMIT.max}`)
      .transform(Number)
      .pipe(z.int().min(1).max(AUDIT_LIMIT.max))
      .optional()
      .openapi({ description: `Rows per page, 1–${AUDIT_LIMIT.max} (default ${AUDIT_LIMIT.default}).`, example: '50' }),
    cursor: z.string().optional().openapi({ description: '`page.nextCursor` of the previous page, with the same filters.' }),
  })
  .refine((q) => !q.from || !q.to || compareInstants(q.to, q.from) > 0, { path: ['to'], message: 'must be later than from' });
export type AuditQuery = z.infer<typeof AuditQuery>;

/** One change as the trail renders it. */
export const AuditEntry = z
  .object({
    id: z.string().openapi({ description: "The change's id: a bigint, as a string (it may outgrow a JSON number).", example: '1042' }),
    at: z.iso.datetime().openapi({ description: 'When the change was made: ISO-8601 in UTC, with microseconds.', example: '2026-10-05T09:30:00.123456Z' }),
    actor_id: z.guid().nullable().openapi({ description: 'The user who made the change; null for changes made by the system.' }),
    action: z.string().openapi({ example: 'update' }),
    object_type: z.string().openapi({ description: 'The resource, e.g. `contacts`.', example: 'contacts' }),
    object_id: z.guid(),
    changes: z
      .record(z.string(), z.object({ from: z.unknown().optional(), to: z.unknown().optional() }))
      .nullable()
      .openapi({
        description: 'Per changed field, its value before and after: `{"email": {"from": "a@x.test", "to": "b@x.test"}}`.',
      }),
    request_id: z.string().nullable().openapi({ description: 'The X-Request-Id of the request that made the change.' }),
  })
  .openapi('AuditEntry');
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Months of this org's trail moved out of Postgres by the daily upkeep (src/resources/audit/upkeep.ts). */
export const AuditArchived = z
  .object({
    month: z.string().openapi({ description: 'YYYY-MM' }),
    object: z.string().openapi({ description: 'The R2 object (bucket EXPORTS): gzip NDJSON of the month, every org’s rows' }),
    manifest: z.string().openapi({ description: 'The R2 object describing it: rows, bytes, rows per org' }),
    rows: z.int().openapi({ description: 'This org’s rows in it' }),
  })
  .openapi('AuditArchived');

export const AuditPage = z
  .object({
    data: z.array(AuditEntry),
    page: PageInfo,
    archived: z
      .array(AuditArchived)
      .optional()
      .openapi({ description: 'On the last page (no next cursor): the months of older history archived to R2, oldest first; absent when none.' }),
    meta: ResponseMeta,
  })
  .openapi('AuditPage', { description: 'A page of the audit trail, newest first.' });
export type AuditPage = z.infer<typeof AuditPage>;
