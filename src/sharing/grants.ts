import { SHARED_OBJECT_TYPES } from '../core/enums';
import { fingerprintOf } from './fingerprint';
import { idsOf, indexOf, type OrgIndex, subtreeOf } from './org-index';
import { DEFAULT_SETTING, type ObjectGrant, type ObjectType, type OrgSnapshot, type SnapshotRule, type SnapshotUser, type UserGrants } from './types';

/**
 * One user's grants, compiled from their org's snapshot (semantics: docs/decisions/0040).
 * Pure: no I/O and no observable state. It is async only because the fingerprint is a SHA-256
 * digest and Workers offer that through `crypto.subtle` alone; `compileObjectGrants` is the
 * same compilation without it.
 */
export async function compileGrants(snapshot: OrgSnapshot, userId: string): Promise<UserGrants> {
  const objects = compileObjectGrants(snapshot, userId);
  const fingerprint = await fingerprintOf(snapshot.orgId, snapshot.version, objects);
  return { orgId: snapshot.orgId, userId, version: snapshot.version, fingerprint, objects };
}

/** Per object type while compiling: owners as user numbers (org-index.ts). */
interface Draft {
  all: ObjectGrant['all'];
  hierarchy: boolean;
  /** Owners opened by owner rules, for read (every one) and for edit; unsorted, maybe repeated. */
  read: number[];
  edit: number[];
  criteria: ObjectGrant['criteria'];
}

/**
 * What `userId` may do with each object type. A user the snapshot does not know (created after
 * it was loaded; the raised version reloads it) gets the org defaults, their own records and
 * rules that name them, nothing through a team, a role or the hierarchy. The arrays of the
 * result may be shared between object types: treat them as read-only.
 */
export function compileObjectGrants(snapshot: OrgSnapshot, userId: string): Record<ObjectType, ObjectGrant> {
  const org = indexOf(snapshot);
  const me = org.numberOf.get(userId);
  const user = me === undefined ? undefined : org.users[me];
  const drafts = {} as Record<ObjectType, Draft>;
  for (const type of SHARED_OBJECT_TYPES) {
    const setting = snapshot.settings[type] ?? DEFAULT_SETTING;
    const all =
      user?.role === 'admin' ? 'edit' : setting.defaultAccess === 'public_read_write' ? 'edit' : setting.defaultAccess === 'public_read' ? 'read' : 'none';
    drafts[type] = { all, hierarchy: setting.grantHierarchy, read: [], edit: [], criteria: [] };
  }
  for (const rule of snapshot.rules) {
    const draft = drafts[rule.objectType];
    if (!draft || !targets(rule, user, userId)) continue;
    if (rule.kind === 'criteria') {
      draft.criteria.push({ ruleId: rule.id, name: rule.name, access: rule.access, where: rule.criteria });
      continue;
    }
    for (const owner of sourceOwners(org, rule)) {
      draft.read.push(owner);
      if (rule.access === 'edit') draft.edit.push(owner);
    }
  }
  const owners = ownerLists(org, me, userId);
  const out = {} as Record<ObjectType, ObjectGrant>;
  for (const type of SHARED_OBJECT_TYPES) {
    const d = drafts[type];
    out[type] = {
      all: d.all,
      readOwners: owners(d.hierarchy, d.read),
      editOwners: owners(d.hierarchy, d.edit),
      criteria: d.criteria.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)),
      shares: { userId, teamId: user?.teamId ?? null },
    };
  }
  return out;
}

/**
 * Sorted owner ids: the user, their subtree when the hierarchy counts, and what rules add. Lists
 * without rule additions are built once and shared by every object type (fingerprint.ts then
 * hashes a large subtree once).
 */
function ownerLists(org: OrgIndex, me: number | undefined, userId: string): (hierarchy: boolean, added: number[]) => string[] {
  if (me === undefined) return (_, added) => withId(idsOf(org, added), userId);
  const self = [me];
  let subtree: number[] | undefined;
  const plain = new Map<boolean, string[]>();
  return (hierarchy, added) => {
    if (hierarchy && !subtree) subtree = subtreeOf(org, me);
    const base = hierarchy && subtree ? subtree : self;
    if (added.length) return idsOf(org, [...base, ...added]);
    const known = plain.get(hierarchy);
    if (known) return known;
    const list = idsOf(org, base);
    plain.set(hierarchy, list);
    return list;
  };
}

/** A sorted list with `id` in its place (an unknown user's own id, which has no number). */
function withId(sorted: string[], id: string): string[] {
  let i = 0;
  while (i < sorted.length && sorted[i] < id) i++;
  if (sorted[i] !== id) sorted.splice(i, 0, id);
  return sorted;
}

/** Whether the rule grants to this user: them by id, their team, or their role (also what /access explains). */
export function targets(rule: SnapshotRule, user: SnapshotUser | undefined, userId: string): boolean {
  switch (rule.targetType) {
    case 'user':
      return rule.targetId === userId;
    case 'team':
      return user?.teamId != null && rule.targetId === user.teamId;
    case 'role':
      return user !== undefined && rule.targetId === user.role;
  }
}

/** The owners an owner rule opens: a user, a team's members, a role's holders (inactive ones too). */
function sourceOwners(org: OrgIndex, rule: SnapshotRule): readonly number[] {
  if (rule.sourceId === null) return [];
  switch (rule.sourceType) {
    case 'user': {
      const n = org.numberOf.get(rule.sourceId);
      return n === undefined ? [] : [n];
    }
    case 'team':
      return org.byTeam.get(rule.sourceId) ?? [];
    case 'role':
      return org.byRole.get(rule.sourceId) ?? [];
    default:
      return [];
  }
}
