import { describe, expect, it } from 'vitest';
import { SHARED_OBJECT_TYPES } from '../../src/core/enums';
import { canonicalJson } from '../../src/sharing/fingerprint';
import { compileGrants, compileObjectGrants } from '../../src/sharing/grants';
import type { ObjectSetting, ObjectType, OrgSnapshot, SnapshotRule, SnapshotUser } from '../../src/sharing/types';

// Every rule of docs/decisions/0040-sharing-grants.md, each with a case that fails if the rule
// is dropped. Snapshots are built by hand: compileGrants is pure.

const ORG = 'org-1';
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

function snapshot(over: Partial<OrgSnapshot>): OrgSnapshot {
  return { orgId: ORG, version: 1, users: [], settings: {}, rules: [], ...over };
}

const everyPrivate = (setting = PRIVATE): Partial<Record<ObjectType, ObjectSetting>> => Object.fromEntries(SHARED_OBJECT_TYPES.map((t) => [t, setting]));

/** A small org: admin ← boss ← mid ← low, plus peers in teams. */
const ORG_USERS = [
  user('admin', { role: 'admin' }),
  user('boss', { role: 'manager', managerId: 'admin', teamId: 'team-a' }),
  user('mid', { role: 'manager', managerId: 'boss', teamId: 'team-a' }),
  user('low', { managerId: 'mid', teamId: 'team-a' }),
  user('peer', { managerId: 'boss', teamId: 'team-b' }),
  user('loner'),
];

describe('compileGrants: defaults', () => {
  it('an admin edits every record of every object type, whatever the default', () => {
    const s = snapshot({ users: ORG_USERS, settings: everyPrivate() });
    const admin = compileObjectGrants(s, 'admin');
    for (const t of SHARED_OBJECT_TYPES) expect(admin[t].all).toBe('edit');
    expect(compileObjectGrants(s, 'boss').contact.all).toBe('none');
  });

  it('an object type without a setting is public_read_write', () => {
    const s = snapshot({ users: ORG_USERS, settings: { contact: PRIVATE } });
    const g = compileObjectGrants(s, 'loner');
    expect(g.contact.all).toBe('none');
    for (const t of ['company', 'lead', 'deal', 'activity'] as const) expect(g[t].all).toBe('edit');
  });

  it('public_read_write → edit, public_read → read, private → none', () => {
    const s = snapshot({
      users: ORG_USERS,
      settings: {
        contact: { defaultAccess: 'public_read_write', grantHierarchy: false },
        deal: { defaultAccess: 'public_read', grantHierarchy: false },
        lead: PRIVATE_FLAT,
      },
    });
    const g = compileObjectGrants(s, 'low');
    expect([g.contact.all, g.deal.all, g.lead.all]).toEqual(['edit', 'read', 'none']);
  });

  it('a user reads and edits their own records, with no hierarchy and no rule', () => {
    const g = compileObjectGrants(snapshot({ users: ORG_USERS, settings: everyPrivate(PRIVATE_FLAT) }), 'loner');
    for (const t of SHARED_OBJECT_TYPES) expect(g[t]).toMatchObject({ all: 'none', readOwners: ['loner'], editOwners: ['loner'], criteria: [] });
  });

  it('under public_read, edit comes only from owners and rules', () => {
    const s = snapshot({
      users: ORG_USERS,
      settings: { deal: { defaultAccess: 'public_read', grantHierarchy: true } },
      rules: [rule({ objectType: 'deal', sourceType: 'user', sourceId: 'peer', targetType: 'user', targetId: 'low', access: 'edit' })],
    });
    expect(compileObjectGrants(s, 'low').deal).toMatchObject({ all: 'read', editOwners: ['low', 'peer'] });
    expect(compileObjectGrants(s, 'mid').deal).toMatchObject({ all: 'read', editOwners: ['low', 'mid'] });
  });
});

describe('compileGrants: the role hierarchy', () => {
  it('a manager reads and edits what their reports own, transitively; never upwards or sideways', () => {
    const g = compileObjectGrants(snapshot({ users: ORG_USERS, settings: everyPrivate() }), 'boss');
    expect(g.contact.readOwners).toEqual(['boss', 'low', 'mid', 'peer']);
    expect(g.contact.editOwners).toEqual(['boss', 'low', 'mid', 'peer']);
    const low = compileObjectGrants(snapshot({ users: ORG_USERS, settings: everyPrivate() }), 'low');
    expect(low.contact.readOwners).toEqual(['low']);
    const mid = compileObjectGrants(snapshot({ users: ORG_USERS, settings: everyPrivate() }), 'mid');
    expect(mid.contact.readOwners).toEqual(['low', 'mid']);
  });

  it('follows each object type own grantHierarchy', () => {
    const g = compileObjectGrants(snapshot({ users: ORG_USERS, settings: { contact: PRIVATE, deal: PRIVATE_FLAT } }), 'boss');
    expect(g.contact.readOwners).toEqual(['boss', 'low', 'mid', 'peer']);
    expect(g.deal.readOwners).toEqual(['boss']);
    expect(g.deal.editOwners).toEqual(['boss']);
  });

  it('counts inactive reports (their records do not vanish) and reaches past an inactive manager', () => {
    const users = [user('top', { role: 'manager' }), user('gone', { managerId: 'top', isActive: false }), user('under', { managerId: 'gone' })];
    expect(compileObjectGrants(snapshot({ users, settings: everyPrivate() }), 'top').contact.readOwners).toEqual(['gone', 'top', 'under']);
  });

  it('ends a cycle in the manager chain where it comes back', () => {
    const users = [user('a', { managerId: 'c' }), user('b', { managerId: 'a' }), user('c', { managerId: 'b' }), user('self', { managerId: 'self' })];
    const s = snapshot({ users, settings: everyPrivate() });
    expect(compileObjectGrants(s, 'a').contact.readOwners).toEqual(['a', 'b', 'c']);
    expect(compileObjectGrants(s, 'b').contact.editOwners).toEqual(['a', 'b', 'c']);
    expect(compileObjectGrants(s, 'self').contact.readOwners).toEqual(['self']);
  });

  it('an org of 10,000 users ten levels deep: every manager gets exactly their subtree', async () => {
    const users = deepOrg(10_000, 10);
    const s = snapshot({ users, settings: everyPrivate() });
    const managerOf = new Map(users.map((u) => [u.id, u.managerId]));
    // The oracle walks up from every user instead of down from the manager.
    const subtree = (root: string) =>
      users
        .filter((u) => {
          for (let m: string | null = u.id, hops = 0; m !== null && hops <= 10; m = managerOf.get(m) ?? null, hops++) if (m === root) return true;
          return false;
        })
        .map((u) => u.id)
        .sort();
    const root = users[0].id;
    const rootGrants = await compileGrants(s, root);
    expect(rootGrants.objects.contact.readOwners).toHaveLength(10_000);
    expect(rootGrants.objects.contact.readOwners).toEqual(subtree(root));
    const byLevel = (level: number) => users.filter((u) => u.teamId === `level-${level}`);
    for (const level of [1, 3, 5, 8]) {
      const u = byLevel(level)[7];
      const owners = compileObjectGrants(s, u.id).deal.editOwners;
      expect(owners).toEqual(subtree(u.id));
      expect(owners.length).toBeGreaterThan(1);
    }
    const leaf = byLevel(9)[0];
    expect(compileObjectGrants(s, leaf.id).lead.readOwners).toEqual([leaf.id]);
  });
});

describe('compileGrants: owner rules', () => {
  const users = [
    user('u1', { teamId: 't1', role: 'member' }),
    user('u2', { teamId: 't1', role: 'manager' }),
    user('u3', { teamId: 't2', role: 'member', isActive: false }),
    user('u4', { teamId: 't2', role: 'manager' }),
    user('u5', { teamId: null, role: 'member' }),
  ];
  const grant = (rules: SnapshotRule[], who: string) => compileObjectGrants(snapshot({ users, rules, settings: everyPrivate(PRIVATE_FLAT) }), who);

  it('source user / team / role opens that user, the team members (inactive too), the role holders', () => {
    expect(grant([rule({ sourceType: 'user', sourceId: 'u4', targetType: 'user', targetId: 'u1' })], 'u1').contact.readOwners).toEqual(['u1', 'u4']);
    expect(grant([rule({ sourceType: 'team', sourceId: 't2', targetType: 'user', targetId: 'u1' })], 'u1').contact.readOwners).toEqual(['u1', 'u3', 'u4']);
    expect(grant([rule({ sourceType: 'role', sourceId: 'manager', targetType: 'user', targetId: 'u1' })], 'u1').contact.readOwners).toEqual(['u1', 'u2', 'u4']);
  });

  it('target user / team / role grants that user, the team members, the role holders, and nobody else', () => {
    const byUser = rule({ sourceType: 'user', sourceId: 'u4', targetType: 'user', targetId: 'u1' });
    expect(grant([byUser], 'u1').contact.readOwners).toContain('u4');
    expect(grant([byUser], 'u2').contact.readOwners).not.toContain('u4');
    const byTeam = rule({ sourceType: 'user', sourceId: 'u4', targetType: 'team', targetId: 't1' });
    expect(grant([byTeam], 'u2').contact.readOwners).toContain('u4');
    expect(grant([byTeam], 'u3').contact.readOwners).not.toContain('u4');
    expect(grant([byTeam], 'u5').contact.readOwners).not.toContain('u4');
    const byRole = rule({ sourceType: 'user', sourceId: 'u1', targetType: 'role', targetId: 'manager' });
    expect(grant([byRole], 'u4').contact.readOwners).toContain('u1');
    expect(grant([byRole], 'u5').contact.readOwners).not.toContain('u1');
  });

  it('read adds to readOwners only; edit to both', () => {
    const read = grant([rule({ sourceType: 'user', sourceId: 'u4', targetType: 'user', targetId: 'u1', access: 'read' })], 'u1').contact;
    expect(read).toMatchObject({ readOwners: ['u1', 'u4'], editOwners: ['u1'] });
    const edit = grant([rule({ sourceType: 'user', sourceId: 'u4', targetType: 'user', targetId: 'u1', access: 'edit' })], 'u1').contact;
    expect(edit).toMatchObject({ readOwners: ['u1', 'u4'], editOwners: ['u1', 'u4'] });
  });

  it('applies to its own object type only', () => {
    const g = grant([rule({ objectType: 'deal', sourceType: 'user', sourceId: 'u4', targetType: 'user', targetId: 'u1' })], 'u1');
    expect(g.deal.readOwners).toEqual(['u1', 'u4']);
    expect(g.contact.readOwners).toEqual(['u1']);
  });

  it('a source nobody matches opens nothing', () => {
    const g = grant(
      [
        rule({ sourceType: 'team', sourceId: 'no-team', targetType: 'user', targetId: 'u1' }),
        rule({ sourceType: 'user', sourceId: 'not-a-user', targetType: 'user', targetId: 'u1' }),
      ],
      'u1',
    );
    expect(g.contact.readOwners).toEqual(['u1']);
  });
});

describe('compileGrants: criteria rules and shares', () => {
  const users = [user('u1', { teamId: 't1' }), user('u2', { teamId: 't2', role: 'manager' })];
  const where = { field: 'lifecycle_stage', op: 'eq', value: 'customer' };

  it('lists the criteria rules that target the user, sorted by rule id, on their object type', () => {
    const rules = [
      rule({ id: 'r-b', kind: 'criteria', criteria: where, targetType: 'team', targetId: 't1', access: 'edit' }),
      rule({ id: 'r-a', kind: 'criteria', criteria: { field: 'status', op: 'eq', value: 'won' }, targetType: 'role', targetId: 'member', objectType: 'deal' }),
      rule({ id: 'r-0', kind: 'criteria', criteria: where, targetType: 'user', targetId: 'u1' }),
      rule({ id: 'r-c', kind: 'criteria', criteria: where, targetType: 'team', targetId: 't2' }),
    ];
    const g = compileObjectGrants(snapshot({ users, rules, settings: everyPrivate() }), 'u1');
    expect(g.contact.criteria).toEqual([
      { ruleId: 'r-0', name: rules[2].name, access: 'read', where },
      { ruleId: 'r-b', name: rules[0].name, access: 'edit', where },
    ]);
    expect(g.deal.criteria.map((c) => c.ruleId)).toEqual(['r-a']);
    expect(g.contact.readOwners).toEqual(['u1']);
    expect(compileObjectGrants(snapshot({ users, rules, settings: everyPrivate() }), 'u2').contact.criteria.map((c) => c.ruleId)).toEqual(['r-c']);
  });

  it('names the user and their team for manual shares', () => {
    const s = snapshot({ users: [...users, user('solo')], settings: everyPrivate() });
    expect(compileObjectGrants(s, 'u1').lead.shares).toEqual({ userId: 'u1', teamId: 't1' });
    expect(compileObjectGrants(s, 'solo').lead.shares).toEqual({ userId: 'solo', teamId: null });
  });

  it('a user the snapshot does not know gets the defaults and their own records, nothing through a team or role', () => {
    const rules = [rule({ kind: 'criteria', criteria: where, targetType: 'role', targetId: 'member' })];
    const g = compileObjectGrants(
      snapshot({ users, rules, settings: { contact: PRIVATE, deal: { defaultAccess: 'public_read', grantHierarchy: true } } }),
      'new',
    );
    expect(g.contact).toEqual({ all: 'none', readOwners: ['new'], editOwners: ['new'], criteria: [], shares: { userId: 'new', teamId: null } });
    expect(g.deal.all).toBe('read');
  });
});

describe('the fingerprint', () => {
  const users = [
    user('admin', { role: 'admin' }),
    user('m1', { role: 'manager', teamId: 't1' }),
    user('a', { managerId: 'm1', teamId: 't1' }),
    user('b', { managerId: 'm1', teamId: 't1' }),
  ];
  const base = snapshot({ users, settings: everyPrivate() });
  const fp = async (s: OrgSnapshot, who: string) => (await compileGrants(s, who)).fingerprint;

  it('is a SHA-256 hex digest, equal for equal access compiled from different snapshots', async () => {
    const f = await fp(base, 'a');
    expect(f).toMatch(/^[0-9a-f]{64}$/);
    expect(await fp(snapshot({ users: [...users].reverse(), settings: everyPrivate() }), 'a')).toBe(f);
  });

  it('is shared by users whose access no record can tell apart', async () => {
    // No settings: everyone edits everything, admin or not.
    const open = snapshot({ users });
    expect(await fp(open, 'a')).toBe(await fp(open, 'admin'));
    expect(await fp(open, 'a')).toBe(await fp(open, 'm1'));
    // A rule's name is a label, not access.
    const named = (name: string) =>
      snapshot({ users, settings: everyPrivate(), rules: [rule({ id: 'r1', name, sourceType: 'user', sourceId: 'b', targetType: 'user', targetId: 'a' })] });
    expect(await fp(named('one'), 'a')).toBe(await fp(named('two'), 'a'));
    // Criteria trees in another key order are the same tree.
    const tree = (where: unknown) =>
      snapshot({ users, settings: everyPrivate(), rules: [rule({ id: 'r1', kind: 'criteria', criteria: where, targetType: 'user', targetId: 'a' })] });
    expect(await fp(tree({ field: 'x', op: 'eq', value: 1 }), 'a')).toBe(await fp(tree({ value: 1, op: 'eq', field: 'x' }), 'a'));
  });

  it('differs when anything that decides access differs, the version included', async () => {
    const f = await fp(base, 'a');
    const variants: Array<[string, OrgSnapshot, string]> = [
      ['another user (other own records)', base, 'b'],
      ['the version', { ...base, version: 2 }, 'a'],
      ['the org', { ...base, orgId: 'org-2' }, 'a'],
      ['a default', { ...base, settings: { ...everyPrivate(), lead: { defaultAccess: 'public_read', grantHierarchy: true } } }, 'a'],
      ['the team (manual shares)', { ...base, users: users.map((u) => (u.id === 'a' ? { ...u, teamId: 't9' } : u)) }, 'a'],
      ['a read owner', { ...base, rules: [rule({ id: 'r1', sourceType: 'user', sourceId: 'b', targetType: 'user', targetId: 'a' })] }, 'a'],
      [
        'a criteria tree',
        { ...base, rules: [rule({ id: 'r1', kind: 'criteria', criteria: { field: 'x', op: 'eq', value: 1 }, targetType: 'user', targetId: 'a' })] },
        'a',
      ],
    ];
    const seen = new Set([f]);
    for (const [what, s, who] of variants) {
      const g = await fp(s, who);
      expect(seen.has(g), what).toBe(false);
      seen.add(g);
    }
    const access = (a: 'read' | 'edit') => ({
      ...base,
      rules: [rule({ id: 'r1', sourceType: 'user', sourceId: 'b', targetType: 'user', targetId: 'a', access: a })],
    });
    expect(await fp(access('read'), 'a')).not.toBe(await fp(access('edit'), 'a'));
    const criteria = (a: 'read' | 'edit') => ({
      ...base,
      rules: [rule({ id: 'r1', kind: 'criteria', criteria: {}, targetType: 'user', targetId: 'a', access: a })],
    });
    expect(await fp(criteria('read'), 'a')).not.toBe(await fp(criteria('edit'), 'a'));
    const tree = (value: number) => ({
      ...base,
      rules: [rule({ id: 'r1', kind: 'criteria', criteria: { field: 'x', op: 'eq', value }, targetType: 'user', targetId: 'a' })],
    });
    expect(await fp(tree(1), 'a')).not.toBe(await fp(tree(2), 'a'));
  });

  it('under public_read, differs by what the user edits, not by what they read', async () => {
    const pr = { defaultAccess: 'public_read', grantHierarchy: true } as const;
    const readRule = rule({ id: 'r1', sourceType: 'user', sourceId: 'b', targetType: 'user', targetId: 'a', access: 'read' });
    const editRule = { ...readRule, access: 'edit' as const };
    const s = (rules: SnapshotRule[]) => snapshot({ users, settings: everyPrivate(pr), rules });
    expect(await fp(s([]), 'a')).toBe(await fp(s([readRule]), 'a'));
    expect(await fp(s([]), 'a')).not.toBe(await fp(s([editRule]), 'a'));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null, u: undefined })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});

/**
 * `n` users in `levels` levels: level 0 is one root, every other user reports to a user of the
 * level above (spread by a fixed stride, so subtrees are uneven). Team = level, for the test.
 */
function deepOrg(n: number, levels: number): SnapshotUser[] {
  const perLevel = [1, ...Array.from({ length: levels - 1 }, (_, l) => Math.max(1, Math.round(((n - 1) * 2 ** l) / (2 ** (levels - 1) - 1))))];
  perLevel[levels - 1] += n - perLevel.reduce((a, b) => a + b, 0);
  const out: SnapshotUser[] = [];
  let above: string[] = [];
  for (let level = 0; level < levels; level++) {
    const here: string[] = [];
    for (let i = 0; i < perLevel[level]; i++) {
      const id = `u-${level}-${String(i).padStart(5, '0')}`;
      const managerId = level === 0 ? null : above[(i * 7919) % above.length];
      out.push(user(id, { role: level === 0 ? 'manager' : 'member', managerId, teamId: `level-${level}`, isActive: i % 25 !== 3 }));
      here.push(id);
    }
    above = here;
  }
  return out;
}
