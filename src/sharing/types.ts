import type { ACCESS_LEVELS, PRINCIPAL_TYPES, SHARED_OBJECT_TYPES, SHARING_DEFAULTS, SHARING_RULE_KINDS, USER_ROLES } from '../core/enums';

/**
 * Record-level sharing (DESIGN §7), the model every part agrees on: what an org's sharing
 * configuration is (`OrgSnapshot`, loaded from Postgres and held by the org's Durable Object),
 * and what it grants one user (`UserGrants`, compiled from a snapshot, cached in isolate memory
 * by version, turned into one SQL predicate by the query compiler's access hook).
 */
export type ObjectType = (typeof SHARED_OBJECT_TYPES)[number];
export type Access = (typeof ACCESS_LEVELS)[number];
export type DefaultAccess = (typeof SHARING_DEFAULTS)[number];

/** The resource each shared object type is read and written as. */
export const OBJECT_RESOURCE: Record<ObjectType, string> = {
  contact: 'contacts',
  company: 'companies',
  lead: 'leads',
  deal: 'deals',
  activity: 'activities',
};

/**
 * An object type without a `sharing_settings` row behaves as before sharing existed: everyone
 * in the org reads and edits everything. Orgs opt in by setting a default.
 */
export const DEFAULT_SETTING: ObjectSetting = { defaultAccess: 'public_read_write', grantHierarchy: true };

export interface ObjectSetting {
  defaultAccess: DefaultAccess;
  /** Managers see (and edit) what their reports, transitively, own. */
  grantHierarchy: boolean;
}

export interface SnapshotUser {
  id: string;
  role: (typeof USER_ROLES)[number];
  managerId: string | null;
  teamId: string | null;
  isActive: boolean;
}

export interface SnapshotRule {
  id: string;
  name: string;
  objectType: ObjectType;
  kind: (typeof SHARING_RULE_KINDS)[number];
  /** Owner rules: whose records (a user, a team's members, a role's holders). */
  sourceType: (typeof PRINCIPAL_TYPES)[number] | null;
  sourceId: string | null;
  /** Criteria rules: a `where` tree of the JSON dialect (parse-json.ts), checked against the object's resource. */
  criteria: unknown;
  /** Who is granted (a user, a team's members, a role's holders). */
  targetType: (typeof PRINCIPAL_TYPES)[number];
  targetId: string;
  access: Access;
}

/** An org's sharing configuration at one version. Manual shares are not in it: SQL looks them up per record. */
export interface OrgSnapshot {
  orgId: string;
  /** `org_generations.sharing_version` when loaded: every change to what grants access raises it. */
  version: number;
  users: SnapshotUser[];
  settings: Partial<Record<ObjectType, ObjectSetting>>;
  /** Active rules only. */
  rules: SnapshotRule[];
}

/** What one user may do with one object type. */
export interface ObjectGrant {
  /** Every record of the org: admins, and public defaults (`public_read` → read, `public_read_write` → edit). */
  all: 'none' | Access;
  /** Owners whose records the user reads: themself, their reports (hierarchy), owner rules. Sorted, unique. */
  readOwners: string[];
  /** Owners whose records the user edits: themself, their reports, owner rules with edit. Sorted, unique; ⊆ readOwners. */
  editOwners: string[];
  /** Criteria rules that grant the user read or edit: records matching `where`. Sorted by rule id. */
  criteria: Array<{ ruleId: string; name: string; access: Access; where: unknown }>;
  /** Manual shares apply to this user and, when they have one, their team (looked up in record_shares). */
  shares: { userId: string; teamId: string | null };
}

export interface UserGrants {
  orgId: string;
  userId: string;
  /** The snapshot version these were compiled from. */
  version: number;
  /**
   * A hash of everything that decides what this user sees (the version and every grant):
   * equal fingerprints mean identical access, so cache entries may be shared between them.
   */
  fingerprint: string;
  objects: Record<ObjectType, ObjectGrant>;
}
