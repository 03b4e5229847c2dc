import { compileObjectGrants, targets } from './grants';
import { indexOf, type OrgIndex } from './org-index';
import { type Access, DEFAULT_SETTING, type ObjectGrant, type ObjectType, type OrgSnapshot, type SnapshotRule } from './types';

/**
 * "Why can I see this?" (DESIGN §7, issue 23): what one user may do with one record, and every
 * grant that lets them. Pure: the caller brings the org's snapshot and the record's facts read
 * from Postgres (its owner, which of the user's criteria rules it matches, its manual shares).
 *
 * The verdict is not derived from the reasons: it is computed from the user's compiled grants
 * (`compileObjectGrants`, what the org's Durable Object gives every read) the way the query
 * compiler's access condition decides it (src/query/access.ts), so it cannot disagree with what
 * lists and gets show. The reasons then attribute it: the admin role, the org-wide default,
 * ownership, the hierarchy (through whom), each owner and criteria rule, each manual share.
 */
export type ReasonKind = 'admin' | 'org_default' | 'owner' | 'hierarchy' | 'owner_rule' | 'criteria_rule' | 'share';

export interface Reason {
  kind: ReasonKind;
  /** What this reason grants; `none` only for the one reason a record the user cannot read gets. */
  access: Access | 'none';
  detail: string;
  via?: Record<string, unknown>;
}

export interface Explanation {
  read: boolean;
  edit: boolean;
  reasons: Reason[];
}

export interface RecordShare {
  id: string;
  granteeType: 'user' | 'team' | 'role';
  granteeId: string;
  access: Access;
}

/** What Postgres says about the record. */
export interface RecordFacts {
  ownerId: string | null;
  /** Ids of the user's criteria rules (their grant's `criteria`) the record matches. */
  matchedCriteria: ReadonlySet<string>;
  /** The record's manual shares, whoever they are for (those of the user and their team count). */
  shares: readonly RecordShare[];
}

export function explainAccess(
  snapshot: OrgSnapshot,
  userId: string,
  type: ObjectType,
  facts: RecordFacts,
  grant: ObjectGrant = compileObjectGrants(snapshot, userId)[type],
): Explanation {
  const owner = facts.ownerId;
  const matched = grant.criteria.filter((c) => facts.matchedCriteria.has(c.ruleId));
  const shares = facts.shares.filter((s) => sharedWith(s, grant));
  // The verdict, as accessSql decides it from the same grant.
  const read = grant.all !== 'none' || (owner !== null && grant.readOwners.includes(owner)) || matched.length > 0 || shares.length > 0;
  const edit =
    grant.all === 'edit' ||
    (owner !== null && grant.editOwners.includes(owner)) ||
    matched.some((c) => c.access === 'edit') ||
    shares.some((s) => s.access === 'edit');

  const org = indexOf(snapshot);
  const me = org.numberOf.get(userId);
  const user = me === undefined ? undefined : org.users[me];
  const setting = snapshot.settings[type] ?? DEFAULT_SETTING;
  const reasons: Reason[] = [];
  if (user?.role === 'admin') reasons.push({ kind: 'admin', access: 'edit', detail: 'Admins read and edit every record of the org.' });
  if (setting.defaultAccess !== 'private') {
    reasons.push({
      kind: 'org_default',
      access: setting.defaultAccess === 'public_read_write' ? 'edit' : 'read',
      detail: `The org-wide default for ${type} records is ${setting.defaultAccess}${snapshot.settings[type] ? '' : ' (never configured)'}.`,
    });
  }
  if (owner !== null && owner === userId) reasons.push({ kind: 'owner', access: 'edit', detail: 'The user owns the record.' });
  if (owner !== null && owner !== userId && setting.grantHierarchy && me !== undefined) {
    const chain = chainUp(org, owner, me);
    if (chain)
      reasons.push({
        kind: 'hierarchy',
        access: 'edit',
        detail: `The record's owner reports to the user${chain.length > 1 ? ` through ${chain.length - 1} manager${chain.length > 2 ? 's' : ''}` : ''}.`,
        via: { owner_id: owner, chain },
      });
  }
  if (owner !== null) {
    for (const rule of snapshot.rules) {
      if (rule.kind !== 'owner' || rule.objectType !== type || !targets(rule, user, userId) || !sources(org, rule, owner)) continue;
      reasons.push({
        kind: 'owner_rule',
        access: rule.access,
        detail: `Owner rule "${rule.name}" opens records owned by ${principal(rule.sourceType, rule.sourceId)} to ${principal(rule.targetType, rule.targetId)}.`,
        via: ruleVia(rule),
      });
    }
  }
  const rules = new Map(snapshot.rules.map((r) => [r.id, r]));
  for (const c of matched) {
    const rule = rules.get(c.ruleId);
    reasons.push({
      kind: 'criteria_rule',
      access: c.access,
      detail: `The record matches criteria rule "${c.name}"${rule ? `, which opens to ${principal(rule.targetType, rule.targetId)}` : ''}.`,
      via: rule ? ruleVia(rule) : { rule_id: c.ruleId, name: c.name },
    });
  }
  for (const s of shares) {
    reasons.push({
      kind: 'share',
      access: s.access,
      detail: `The record is shared by hand with ${s.granteeType === 'user' ? 'the user' : "the user's team"} (${s.access}).`,
      via: { share_id: s.id, grantee_type: s.granteeType, grantee_id: s.granteeId },
    });
  }
  if (!read) {
    reasons.push({
      kind: 'org_default',
      access: 'none',
      detail: `The org-wide default for ${type} records is private and nothing grants the user access: not ownership, the hierarchy, a sharing rule or a manual share.`,
    });
  }
  return { read, edit, reasons };
}

/** Whether a manual share is for this user or their team (what sharedSql in the query layer looks up). */
function sharedWith(share: RecordShare, grant: ObjectGrant): boolean {
  if (share.granteeType === 'user') return share.granteeId === grant.shares.userId;
  return share.granteeType === 'team' && grant.shares.teamId !== null && share.granteeId === grant.shares.teamId;
}

/**
 * The managers from the owner's up to the user (the user last), or null when the owner is not
 * below them. Walks up `manager_id` as `subtreeOf` walks down: through users the snapshot knows
 * (inactive ones too), ending where a cycle comes back.
 */
function chainUp(org: OrgIndex, ownerId: string, me: number): string[] | null {
  const start = org.numberOf.get(ownerId);
  if (start === undefined) return null;
  let at: number = start;
  const seen = new Set<number>([at]);
  const chain: string[] = [];
  for (;;) {
    const managerId = org.users[at].managerId;
    const next: number | undefined = managerId === null ? undefined : org.numberOf.get(managerId);
    if (next === undefined || seen.has(next)) return null;
    chain.push(org.ids[next]);
    if (next === me) return chain;
    seen.add(next);
    at = next;
  }
}

// The owner-rule test compileObjectGrants applies to all owners at once (grants.ts), for the
// single record explained; the unit tests hold the two equal.

/** Whether an owner rule's source (a user, a team's members, a role's holders) includes the owner. */
function sources(org: OrgIndex, rule: SnapshotRule, ownerId: string): boolean {
  const n = org.numberOf.get(ownerId);
  if (rule.sourceId === null || n === undefined) return false;
  switch (rule.sourceType) {
    case 'user':
      return rule.sourceId === ownerId;
    case 'team':
      return org.users[n].teamId === rule.sourceId;
    case 'role':
      return org.users[n].role === rule.sourceId;
    default:
      return false;
  }
}

function ruleVia(rule: SnapshotRule): Record<string, unknown> {
  return { rule_id: rule.id, name: rule.name, target_type: rule.targetType, target_id: rule.targetId };
}

function principal(type: SnapshotRule['targetType'] | null, id: string | null): string {
  if (type === 'role') return `the ${id} role`;
  if (type === 'team') return `team ${id}`;
  return `user ${id}`;
}
