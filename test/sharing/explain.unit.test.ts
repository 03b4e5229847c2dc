import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHARED_OBJECT_TYPES } from '../../src/core/enums';
import { explainAccess, type RecordFacts, type RecordShare } from '../../src/sharing/explain';
import { compileObjectGrants } from '../../src/sharing/grants';
import type { ObjectSetting, ObjectType, OrgSnapshot, SnapshotRule, SnapshotUser } from '../../src/sharing/types';

// The pure half of GET /v1/{resource}/{id}/access: the verdict comes from the compiled grants,
// the reasons attribute it. Each case below fails if a kind of reason is dropped or misnamed;
// the property at the end holds the reasons to the verdict on generated orgs.

const PRIVATE: ObjectSetting = { defaultAccess: 'private', grantHierarchy: true };
const PRIVATE_FLAT: ObjectSetting = { defaultAccess: 'private', grantHierarchy: false };

function user(id: string, over: Partial<SnapshotUser> = {}): SnapshotUser {
  return { id, role: 'member', managerId: null, teamId: null, isActive: true, ...over };
}

let ruleNo = 0;
function rule(over: Partial<SnapshotRule> & Pick<SnapshotRule, 'targetType' | 'targetId'>): SnapshotRule {
  ruleNo++;
  return {
    id: `rule-${String(ruleNo).padStart(4, '0')}`,
    name: `rule ${ruleNo}`,
    objectType: 'contact',
    kind: 'owner',
    sourceType: null,
    sourceId: null,
    criteria: null,
    access: 'read',
    ...over,
  };
}

const USERS = [
  user('admin', { role: 'admin' }),
  user('boss', { role: 'manager', managerId: 'admin', teamId: 'team-a' }),
  user('mid', { role: 'manager', managerId: 'boss', teamId: 'team-a' }),
  user('low', { managerId: 'mid', teamId: 'team-a' }),
  user('peer', { managerId: 'boss', teamId: 'team-b' }),
  user('loner'),
];

function snapshot(over: Partial<OrgSnapshot> = {}): OrgSnapshot {
  return { orgId: 'org', version: 1, users: USERS, settings: { contact: PRIVATE }, rules: [], ...over };
}

function facts(over: Partial<RecordFacts> = {}): RecordFacts {
  return { ownerId: null, matchedCriteria: new Set(), shares: [], ...over };
}

const kinds = (e: { reasons: Array<{ kind: string }> }) => e.reasons.map((r) => r.kind);

describe('explainAccess', () => {
  it('an admin: read and edit, because admin', () => {
    const e = explainAccess(snapshot(), 'admin', 'contact', facts({ ownerId: 'low' }));
    expect(e).toMatchObject({ read: true, edit: true });
    expect(e.reasons[0]).toMatchObject({ kind: 'admin', access: 'edit' });
  });

  it('public defaults: org_default with the access it grants; an unset type says so', () => {
    const s = snapshot({ settings: { contact: { defaultAccess: 'public_read', grantHierarchy: false } } });
    const e = explainAccess(s, 'loner', 'contact', facts({ ownerId: 'low' }));
    expect(e).toMatchObject({ read: true, edit: false, reasons: [{ kind: 'org_default', access: 'read' }] });
    const unset = explainAccess(s, 'loner', 'deal', facts({ ownerId: 'low' }));
    expect(unset).toMatchObject({ read: true, edit: true, reasons: [{ kind: 'org_default', access: 'edit' }] });
    expect(unset.reasons[0].detail).toContain('never configured');
  });

  it('the owner edits their record', () => {
    const e = explainAccess(snapshot(), 'low', 'contact', facts({ ownerId: 'low' }));
    expect(e).toMatchObject({ read: true, edit: true, reasons: [{ kind: 'owner', access: 'edit' }] });
  });

  it('the hierarchy names the chain from the owner’s manager up to the user', () => {
    const e = explainAccess(snapshot(), 'boss', 'contact', facts({ ownerId: 'low' }));
    expect(e).toMatchObject({ read: true, edit: true });
    expect(e.reasons).toEqual([expect.objectContaining({ kind: 'hierarchy', access: 'edit', via: { owner_id: 'low', chain: ['mid', 'boss'] } })]);
    expect(explainAccess(snapshot(), 'mid', 'contact', facts({ ownerId: 'low' })).reasons[0].via).toEqual({ owner_id: 'low', chain: ['mid'] });
  });

  it('no hierarchy upwards, sideways, or when the setting turns it off: private and nothing grants', () => {
    for (const [who, owner, settings] of [
      ['low', 'mid', { contact: PRIVATE }],
      ['peer', 'low', { contact: PRIVATE }],
      ['boss', 'low', { contact: PRIVATE_FLAT }],
    ] as const) {
      const e = explainAccess(snapshot({ settings }), who, 'contact', facts({ ownerId: owner }));
      expect(e, `${who} about ${owner}'s`).toEqual({ read: false, edit: false, reasons: [expect.objectContaining({ kind: 'org_default', access: 'none' })] });
    }
  });

  it('a cycle in the manager chain ends the walk', () => {
    const users = [user('a', { managerId: 'c' }), user('b', { managerId: 'a' }), user('c', { managerId: 'b' }), user('x', { managerId: 'x' })];
    const s = snapshot({ users });
    expect(explainAccess(s, 'a', 'contact', facts({ ownerId: 'c' })).reasons[0].via).toEqual({ owner_id: 'c', chain: ['b', 'a'] });
    expect(explainAccess(s, 'x', 'contact', facts({ ownerId: 'a' })).read).toBe(false);
  });

  it('owner rules through a user, a team and a role, each named with its access', () => {
    const byUser = rule({ sourceType: 'user', sourceId: 'peer', targetType: 'user', targetId: 'loner', access: 'edit' });
    const byTeam = rule({ sourceType: 'team', sourceId: 'team-b', targetType: 'role', targetId: 'member' });
    const otherType = rule({ objectType: 'deal', sourceType: 'user', sourceId: 'peer', targetType: 'user', targetId: 'loner', access: 'edit' });
    const notMe = rule({ sourceType: 'user', sourceId: 'peer', targetType: 'team', targetId: 'team-a', access: 'edit' });
    const s = snapshot({ rules: [byUser, byTeam, otherType, notMe] });
    const e = explainAccess(s, 'loner', 'contact', facts({ ownerId: 'peer' }));
    expect(e).toMatchObject({ read: true, edit: true });
    expect(e.reasons.map((r) => [r.kind, r.access, r.via?.rule_id])).toEqual([
      ['owner_rule', 'edit', byUser.id],
      ['owner_rule', 'read', byTeam.id],
    ]);
    expect(e.reasons[1].via).toEqual({ rule_id: byTeam.id, name: byTeam.name, target_type: 'role', target_id: 'member' });
    expect(explainAccess(s, 'loner', 'contact', facts({ ownerId: 'low' })).read).toBe(false);
  });

  it('criteria rules count only when they target the user and the record matches', () => {
    const mine = rule({ kind: 'criteria', criteria: { field: 'x', operator: 'equals', value: 1 }, targetType: 'team', targetId: 'team-a' });
    const theirs = rule({ kind: 'criteria', criteria: { field: 'x', operator: 'equals', value: 1 }, targetType: 'team', targetId: 'team-b', access: 'edit' });
    const s = snapshot({ rules: [mine, theirs] });
    const both = new Set([mine.id, theirs.id]);
    const e = explainAccess(s, 'low', 'contact', facts({ ownerId: 'peer', matchedCriteria: both }));
    expect(e).toMatchObject({ read: true, edit: false, reasons: [{ kind: 'criteria_rule', access: 'read', via: { rule_id: mine.id, name: mine.name } }] });
    expect(explainAccess(s, 'low', 'contact', facts({ ownerId: 'peer' })).read).toBe(false);
  });

  it('manual shares with the user or their team, not with others', () => {
    const shares: RecordShare[] = [
      { id: 's1', granteeType: 'user', granteeId: 'low', access: 'read' },
      { id: 's2', granteeType: 'team', granteeId: 'team-a', access: 'edit' },
      { id: 's3', granteeType: 'user', granteeId: 'peer', access: 'edit' },
      { id: 's4', granteeType: 'team', granteeId: 'team-b', access: 'edit' },
    ];
    const e = explainAccess(snapshot(), 'low', 'contact', facts({ ownerId: 'loner', shares }));
    expect(e).toMatchObject({ read: true, edit: true });
    expect(e.reasons.map((r) => r.via)).toEqual([
      { share_id: 's1', grantee_type: 'user', grantee_id: 'low' },
      { share_id: 's2', grantee_type: 'team', grantee_id: 'team-a' },
    ]);
    // No team: a team share cannot reach them.
    expect(explainAccess(snapshot(), 'loner', 'contact', facts({ ownerId: 'low', shares })).read).toBe(false);
  });

  it('every reason that applies, in a fixed order', () => {
    const s = snapshot({
      settings: { contact: { defaultAccess: 'public_read', grantHierarchy: true } },
      rules: [
        rule({ sourceType: 'role', sourceId: 'member', targetType: 'user', targetId: 'boss' }),
        rule({ kind: 'criteria', criteria: {}, targetType: 'user', targetId: 'boss', id: 'rule-crit' }),
      ],
    });
    const e = explainAccess(
      s,
      'boss',
      'contact',
      facts({ ownerId: 'low', matchedCriteria: new Set(['rule-crit']), shares: [{ id: 's', granteeType: 'user', granteeId: 'boss', access: 'read' }] }),
    );
    expect(kinds(e)).toEqual(['org_default', 'hierarchy', 'owner_rule', 'criteria_rule', 'share']);
  });
});

// Generated orgs: the reasons (attributed by explain.ts's own walk of the rules and the chain)
// must grant exactly what the verdict (from compileObjectGrants) says, for every user and owner.
const IDS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const TEAMS = ['t0', 't1'];
const ROLES = ['admin', 'manager', 'member'] as const;

const userArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    role: fc.constantFrom(...ROLES),
    managerId: fc.option(fc.constantFrom(...IDS, 'gone'), { nil: null }),
    teamId: fc.option(fc.constantFrom(...TEAMS), { nil: null }),
    isActive: fc.boolean(),
  });

const principalArb = fc.oneof(
  fc.record({ type: fc.constant('user' as const), id: fc.constantFrom(...IDS, 'gone') }),
  fc.record({ type: fc.constant('team' as const), id: fc.constantFrom(...TEAMS) }),
  fc.record({ type: fc.constant('role' as const), id: fc.constantFrom(...ROLES) }),
);

const ruleArb = (i: number) =>
  fc
    .record({
      kind: fc.constantFrom('owner' as const, 'criteria' as const),
      source: principalArb,
      target: principalArb,
      access: fc.constantFrom('read' as const, 'edit' as const),
      objectType: fc.constantFrom<ObjectType>('contact', 'deal'),
    })
    .map(
      (r): SnapshotRule => ({
        id: `r${i}`,
        name: `rule ${i}`,
        objectType: r.objectType,
        kind: r.kind,
        sourceType: r.kind === 'owner' ? r.source.type : null,
        sourceId: r.kind === 'owner' ? r.source.id : null,
        criteria: r.kind === 'criteria' ? {} : null,
        targetType: r.target.type,
        targetId: r.target.id,
        access: r.access,
      }),
    );

const orgArb = fc.record({
  users: fc.tuple(...IDS.map(userArb)),
  rules: fc.tuple(...[0, 1, 2, 3].map(ruleArb)),
  defaultAccess: fc.constantFrom('private' as const, 'public_read' as const, 'public_read_write' as const),
  grantHierarchy: fc.boolean(),
  matched: fc.subarray(['r0', 'r1', 'r2', 'r3']),
  shares: fc.array(
    fc.record({
      id: fc.uuid(),
      granteeType: fc.constantFrom('user' as const, 'team' as const),
      granteeId: fc.constantFrom(...IDS, ...TEAMS),
      access: fc.constantFrom('read' as const, 'edit' as const),
    }),
    { maxLength: 3 },
  ),
});

describe('explainAccess on generated orgs', () => {
  it('the reasons grant exactly the verdict, and the verdict is what the grants give', () => {
    fc.assert(
      fc.property(orgArb, fc.constantFrom(...IDS), fc.option(fc.constantFrom(...IDS, 'gone'), { nil: null }), (org, who, owner) => {
        const s: OrgSnapshot = {
          orgId: 'org',
          version: 1,
          users: org.users,
          settings: { contact: { defaultAccess: org.defaultAccess, grantHierarchy: org.grantHierarchy } },
          rules: org.rules,
        };
        for (const type of SHARED_OBJECT_TYPES.filter((t) => t === 'contact' || t === 'deal')) {
          const f = facts({ ownerId: owner, matchedCriteria: new Set(org.matched), shares: org.shares });
          const e = explainAccess(s, who, type, f);
          const granting = e.reasons.filter((r) => r.access !== 'none');
          expect(e.read).toBe(granting.length > 0);
          expect(e.edit).toBe(granting.some((r) => r.access === 'edit'));
          expect(e.reasons.some((r) => r.access === 'none')).toBe(!e.read);
          // Owners: the verdict's owner part is the grants' owner lists.
          const g = compileObjectGrants(s, who)[type];
          const ownerReasons = e.reasons.filter((r) => ['owner', 'hierarchy', 'owner_rule'].includes(r.kind));
          if (owner !== null && g.all === 'none') expect(ownerReasons.length > 0).toBe(g.readOwners.includes(owner));
          if (owner !== null) expect(ownerReasons.some((r) => r.access === 'edit')).toBe(g.editOwners.includes(owner));
        }
      }),
      { numRuns: 500, seed: 23 },
    );
  });
});
