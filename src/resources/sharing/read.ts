import { and, asc, eq } from 'drizzle-orm';
import { SHARED_OBJECT_TYPES } from '../../core/enums';
import { AppError } from '../../core/errors';
import { recordShares, sharingRules, sharingSettings } from '../../db/schema/sharing';
import type { ObjectType } from '../../sharing/types';
import { orm } from '../../write/orm';
import { shareableRecord, shareColumns } from '../../write/record-shares';
import { type RuleRow, ruleColumns } from '../../write/sharing';
import { type SettingRow, settingColumns, settingOf } from '../../write/sharing-settings';
import type { WriteContext } from '../../write/types';

/**
 * The reads of /v1/sharing/*: one statement each, the org predicate first. Settings and rules
 * are every role's to read (a member may see what grants access); shares only the admins' and
 * the shared record's owner's.
 */

type ReadContext = Pick<WriteContext, 'db' | 'auth' | 'catalog'>;

/** Every object type's setting, in SHARED_OBJECT_TYPES order; the default where none is stored. */
export async function listSettings(ctx: ReadContext): Promise<SettingRow[]> {
  const rows = await orm(ctx.db).select(settingColumns).from(sharingSettings).where(eq(sharingSettings.orgId, ctx.auth.orgId));
  const byType = new Map(rows.map((r) => [r.object_type, r]));
  return SHARED_OBJECT_TYPES.map((t) => settingOf(t, byType.get(t)));
}

export async function listRules(ctx: ReadContext, objectType?: ObjectType): Promise<RuleRow[]> {
  const rows = await orm(ctx.db)
    .select(ruleColumns)
    .from(sharingRules)
    .where(and(eq(sharingRules.orgId, ctx.auth.orgId), objectType ? eq(sharingRules.objectType, objectType) : undefined))
    .orderBy(asc(sharingRules.objectType), asc(sharingRules.name), asc(sharingRules.id));
  return rows as RuleRow[];
}

export async function getRule(ctx: ReadContext, id: string): Promise<RuleRow> {
  const [row] = await orm(ctx.db)
    .select(ruleColumns)
    .from(sharingRules)
    .where(and(eq(sharingRules.orgId, ctx.auth.orgId), eq(sharingRules.id, id)));
  if (!row) throw new AppError('not_found', 'No such sharing rule.');
  return row as RuleRow;
}

/**
 * One record's shares, oldest first. Admins may ask about any id (a record in the trash still
 * has its shares); anyone else only about a live record they own, else a 404.
 */
export async function listShares(ctx: ReadContext, objectType: ObjectType, recordId: string) {
  const db = orm(ctx.db);
  const where = and(eq(recordShares.orgId, ctx.auth.orgId), eq(recordShares.objectType, objectType), eq(recordShares.recordId, recordId));
  const [, rows] = await Promise.all([
    ctx.auth.role === 'admin' ? undefined : shareableRecord(db, ctx, objectType, recordId),
    db.select(shareColumns).from(recordShares).where(where).orderBy(asc(recordShares.createdAt), asc(recordShares.id)),
  ]);
  return rows;
}

export async function getShare(ctx: ReadContext, id: string) {
  const [row] = await orm(ctx.db)
    .select(shareColumns)
    .from(recordShares)
    .where(and(eq(recordShares.orgId, ctx.auth.orgId), eq(recordShares.id, id)));
  if (!row) throw new AppError('not_found', 'No such share.');
  return row;
}
