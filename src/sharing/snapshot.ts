import type { Db } from '../db/client';
import type { ObjectSetting, ObjectType, OrgSnapshot, SnapshotRule, SnapshotUser } from './types';

const VERSION_SQL = 'select sharing_version from org_generations where org_id = $1';
const USERS_SQL = 'select id, role, manager_id, team_id, is_active from users where org_id = $1 order by id';
const SETTINGS_SQL = 'select object_type, default_access, grant_hierarchy from sharing_settings where org_id = $1';
const RULES_SQL = `select id, name, object_type, kind, source_type, source_id, criteria, target_type, target_id, access
  from sharing_rules where org_id = $1 and is_active order by id`;

/** The org's sharing version: 0 for an org nothing has been written to yet. */
export async function readSharingVersion(db: Db, orgId: string): Promise<number> {
  return versionOf(await db.query<{ sharing_version: string | number }>(VERSION_SQL, [orgId]));
}

interface UserRow {
  id: string;
  role: SnapshotUser['role'];
  manager_id: string | null;
  team_id: string | null;
  is_active: boolean;
}
interface SettingRow {
  object_type: ObjectType;
  default_access: ObjectSetting['defaultAccess'];
  grant_hierarchy: boolean;
}
interface RuleRow {
  id: string;
  name: string;
  object_type: ObjectType;
  kind: SnapshotRule['kind'];
  source_type: SnapshotRule['sourceType'];
  source_id: string | null;
  criteria: unknown;
  target_type: SnapshotRule['targetType'];
  target_id: string;
  access: SnapshotRule['access'];
}

/**
 * The org's sharing configuration: four statements sent together, so they share one round trip.
 * The version is read first, on purpose: writes raise it after their commit (bumpVersions), so
 * any change that version counts is already visible to the statements behind it. The data may
 * be newer than the version (a change committed, its bump not yet run), never older; newer
 * only means the next load, at the raised version, finds the same thing.
 */
export async function loadSnapshot(db: Db, orgId: string): Promise<OrgSnapshot> {
  const [version, users, settings, rules] = await Promise.all([
    db.query<{ sharing_version: string | number }>(VERSION_SQL, [orgId]),
    db.query<UserRow>(USERS_SQL, [orgId]),
    db.query<SettingRow>(SETTINGS_SQL, [orgId]),
    db.query<RuleRow>(RULES_SQL, [orgId]),
  ]);
  return {
    orgId,
    version: versionOf(version),
    users: users.rows.map((u) => ({ id: u.id, role: u.role, managerId: u.manager_id, teamId: u.team_id, isActive: u.is_active })),
    settings: Object.fromEntries(settings.rows.map((s) => [s.object_type, { defaultAccess: s.default_access, grantHierarchy: s.grant_hierarchy }])),
    rules: rules.rows.map((r) => ({
      id: r.id,
      name: r.name,
      objectType: r.object_type,
      kind: r.kind,
      sourceType: r.source_type,
      sourceId: r.source_id,
      criteria: r.criteria,
      targetType: r.target_type,
      targetId: r.target_id,
      access: r.access,
    })),
  };
}

// bigint arrives as text from pg; a missing row is an org no write has touched.
function versionOf(result: { rows: Array<{ sharing_version: string | number }> }): number {
  return result.rows.length ? Number(result.rows[0].sharing_version) : 0;
}
