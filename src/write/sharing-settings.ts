import { and, eq, sql } from 'drizzle-orm';
import { sharingSettings } from '../db/schema/sharing';
import { DEFAULT_SETTING, type ObjectSetting, type ObjectType } from '../sharing/types';
import { write } from './records';
import { auditTarget, iso, requireAdmin } from './sharing';
import type { WriteContext, WriteResult } from './types';

/** Org-wide sharing defaults per object type (DESIGN §7): every role reads them, admins set them. */

const SETTINGS = auditTarget('sharing_settings');

export interface SettingRow {
  object_type: ObjectType;
  default_access: ObjectSetting['defaultAccess'];
  grant_hierarchy: boolean;
  configured: boolean;
  updated_at: string | null;
}

export const settingColumns = {
  object_type: sharingSettings.objectType,
  default_access: sharingSettings.defaultAccess,
  grant_hierarchy: sharingSettings.grantHierarchy,
  updated_at: iso(sharingSettings.updatedAt),
};

/** A stored setting, or the default of an object type without one (`configured: false`). */
export function settingOf(objectType: ObjectType, row?: Omit<SettingRow, 'configured'>): SettingRow {
  if (row) return { ...row, configured: true };
  return {
    object_type: objectType,
    default_access: DEFAULT_SETTING.defaultAccess,
    grant_hierarchy: DEFAULT_SETTING.grantHierarchy,
    configured: false,
    updated_at: null,
  };
}

/**
 * Upserts one object type's setting. Audited as an `update` of the org's `sharing_settings`
 * (object_id: the org's id), each field named with its object type (`deal.default_access`):
 * one trail for the org's settings. Setting what is already stored changes and audits nothing.
 */
export async function putSetting(
  ctx: WriteContext,
  objectType: ObjectType,
  value: { default_access: ObjectSetting['defaultAccess']; grant_hierarchy: boolean },
): Promise<WriteResult & { setting: SettingRow }> {
  requireAdmin(ctx, 'sharing settings');
  let setting: SettingRow | undefined;
  const result = await write(
    ctx,
    SETTINGS,
    async (db, audit) => {
      const org = eq(sharingSettings.orgId, ctx.auth.orgId);
      const [stored] = await db
        .select(settingColumns)
        .from(sharingSettings)
        .where(and(org, eq(sharingSettings.objectType, objectType)))
        .for('update');
      const before = settingOf(objectType, stored);
      if (stored && before.default_access === value.default_access && before.grant_hierarchy === value.grant_hierarchy) {
        setting = before;
        return [];
      }
      const set = { defaultAccess: value.default_access, grantHierarchy: value.grant_hierarchy, updatedAt: sql`clock_timestamp()` };
      const [row] = await db
        .insert(sharingSettings)
        .values({ orgId: ctx.auth.orgId, objectType, ...set })
        .onConflictDoUpdate({ target: [sharingSettings.orgId, sharingSettings.objectType], set })
        .returning(settingColumns);
      setting = settingOf(objectType, row);
      const changes: Record<string, unknown> = {};
      for (const key of ['configured', 'default_access', 'grant_hierarchy'] as const) {
        if (before[key] !== setting[key]) changes[`${objectType}.${key}`] = { from: before[key], to: setting[key] };
      }
      audit.push({ action: 'update', objectType: SETTINGS.name, objectId: ctx.auth.orgId, changes });
      return [];
    },
    [SETTINGS.name],
  );
  return { ...result, setting: setting as SettingRow };
}
