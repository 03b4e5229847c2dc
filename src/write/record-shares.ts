import { and, eq, isNull, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { AppError } from '../core/errors';
import { recordShares } from '../db/schema/sharing';
import { teams } from '../db/schema/teams';
import { users } from '../db/schema/users';
import type { Catalog } from '../query/resource';
import { OBJECT_RESOURCE, type ObjectType } from '../sharing/types';
import { diff, type RowJson } from './audit';
import { columnOf, type Orm, tableOf } from './orm';
import { write } from './records';
import { auditTarget, iso } from './sharing';
import type { WriteContext, WriteResult } from './types';

/**
 * Manual shares (DESIGN §7): one record opened to a user or a team, read or edit. Admins share
 * any record of the org; anyone else only the records they own (`owner_id` = the caller). To
 * anyone else a record is not there (404), whether it exists or not: the API never confirms a
 * record the caller may not share. One share per record and grantee: a second is a 409
 * `unique_record_share` (change the access by deleting and sharing again).
 */

const SHARES = auditTarget('record_shares');

export interface ShareInput {
  object_type: ObjectType;
  record_id: string;
  grantee_type: 'user' | 'team';
  grantee_id: string;
  access: 'read' | 'edit';
}

export const shareColumns = {
  id: recordShares.id,
  object_type: recordShares.objectType,
  record_id: recordShares.recordId,
  grantee_type: recordShares.granteeType,
  grantee_id: recordShares.granteeId,
  access: recordShares.access,
  created_by: recordShares.createdBy,
  created_at: iso(recordShares.createdAt),
  updated_at: iso(recordShares.updatedAt),
};

const shareJson = sql<RowJson>`to_jsonb(${recordShares})`;

/**
 * The record a share is about, when the caller may share it: live (not in the trash) in the
 * caller's org, and the caller an admin or its owner. Anything else is a 404. With `lock`, the
 * row is held against deletion until the commit (`for key share`, which blocks no update).
 */
export async function shareableRecord(db: Orm, ctx: { auth: WriteContext['auth']; catalog: Catalog }, objectType: ObjectType, id: string, lock = false) {
  const resource = ctx.catalog[OBJECT_RESOURCE[objectType]];
  const table = tableOf(resource.table);
  const col = (name: string): PgColumn => columnOf(table, name);
  const live = resource.softDelete ? [isNull(col('deleted_at'))] : [];
  const query = db
    .select({ owner: col('owner_id') })
    .from(table)
    .where(and(eq(col('org_id'), ctx.auth.orgId), eq(col('id'), id), ...live));
  const [record] = await (lock ? query.for('key share') : query);
  if (!record || (ctx.auth.role !== 'admin' && record.owner !== ctx.auth.userId)) throw new AppError('not_found', `No such record in ${resource.name}.`);
}

export async function createShare(ctx: WriteContext, input: ShareInput): Promise<WriteResult> {
  return write(
    ctx,
    SHARES,
    async (db, audit) => {
      const grantee = input.grantee_type === 'user' ? users : teams;
      const granteeLive = input.grantee_type === 'user' ? [eq(users.isActive, true)] : [];
      // Both checks in one round trip; the record's 404 comes before the grantee's 422.
      const [, found] = await Promise.all([
        shareableRecord(db, ctx, input.object_type, input.record_id, true),
        db
          .select({ id: grantee.id })
          .from(grantee)
          .where(and(eq(grantee.orgId, ctx.auth.orgId), eq(grantee.id, input.grantee_id), ...granteeLive))
          .for('key share'),
      ]);
      if (!found.length)
        throw new AppError(
          'constraint_violation',
          `No such ${input.grantee_type} in this org.`,
          [{ path: 'grantee_id', message: `no such ${input.grantee_type} in this org` }],
          undefined,
          'reference_in_org',
        );
      const rows = await db
        .insert(recordShares)
        .values({
          orgId: ctx.auth.orgId,
          objectType: input.object_type,
          recordId: input.record_id,
          granteeType: input.grantee_type,
          granteeId: input.grantee_id,
          access: input.access,
          createdBy: ctx.auth.userId,
        })
        .onConflictDoNothing({ target: [recordShares.orgId, recordShares.objectType, recordShares.recordId, recordShares.granteeType, recordShares.granteeId] })
        .returning({ row: shareJson });
      if (!rows.length)
        throw new AppError(
          'conflict',
          'This record is already shared with this grantee (rule unique_record_share); delete that share to change its access.',
          [{ path: 'grantee_id', message: 'already shared with this grantee' }],
          undefined,
          'unique_record_share',
        );
      const [{ row }] = rows;
      audit.push({ action: 'create', objectType: SHARES.name, objectId: String(row.id), changes: diff(SHARES, null, row) });
      return [String(row.id)];
    },
    [SHARES.name],
  );
}

/** Removes a share: admins, or the owner of the shared record; a 404 for anyone else. */
export async function deleteShare(ctx: WriteContext, id: string): Promise<WriteResult> {
  return write(
    ctx,
    SHARES,
    async (db, audit) => {
      const where = and(eq(recordShares.orgId, ctx.auth.orgId), eq(recordShares.id, id));
      const [share] = await db
        .select({ row: shareJson, objectType: recordShares.objectType, recordId: recordShares.recordId })
        .from(recordShares)
        .where(where)
        .for('update');
      if (!share) throw new AppError('not_found', 'No such share.');
      // A share of a record that is gone (in the trash, purged) is still the admins' to clean up.
      if (ctx.auth.role !== 'admin') {
        await shareableRecord(db, ctx, share.objectType, share.recordId).catch((err) => {
          throw err instanceof AppError && err.code === 'not_found' ? new AppError('not_found', 'No such share.') : err;
        });
      }
      await db.delete(recordShares).where(where);
      audit.push({ action: 'hard_delete', objectType: SHARES.name, objectId: id, changes: diff(SHARES, share.row, null) });
      return [id];
    },
    [SHARES.name],
  );
}
