import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client';
import { compileGrants } from '../../src/sharing/grants';
import { loadSnapshot } from '../../src/sharing/snapshot';
import type { ObjectType } from '../../src/sharing/types';
import { createOrg } from '../support/factories';
import { demoOrg } from '../support/seeded';
import { sql } from '../support/sql';

// loadSnapshot against Postgres, and compileGrants on what it loads: on a factory org whose
// settings and rules are inserted by SQL, and on the seeded demo org, where the expected owner
// sets are computed by SQL of their own (a recursive CTE for the hierarchy, joins for the rules).

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(env as never, () => {});
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('loadSnapshot', () => {
  it('loads users, settings, active rules and the version of one org, in one round trip', async () => {
    const org = await createOrg();
    const other = await createOrg();
    const { admin, manager, member } = org.users;
    const [team] = await sql<{ id: string }>(`insert into teams (org_id, name) values ($1, 'Field') returning id`, [org.id]);
    await sql(`update users set team_id = $2 where id = $1`, [member.id, team.id]);
    const [gone] = await sql<{ id: string }>(
      `insert into users (org_id, email, name, role, manager_id, team_id, is_active) values ($1, 'gone@x.test', 'Gone', 'member', $2, $3, false) returning id`,
      [org.id, manager.id, team.id],
    );
    await sql(
      `insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', true), ($1, 'deal', 'public_read', false), ($2, 'lead', 'private', true)`,
      [org.id, other.id],
    );
    const rules = await sql<{ id: string }>(
      `insert into sharing_rules (org_id, object_type, name, kind, source_type, source_id, criteria, target_type, target_id, access, is_active) values
         ($1, 'contact', 'team to managers', 'owner', 'team', $2, null, 'role', 'manager', 'edit', true),
         ($1, 'deal', 'won deals', 'criteria', null, null, '{"field":"status","op":"eq","value":"won"}', 'team', $2, 'read', true),
         ($1, 'contact', 'switched off', 'owner', 'role', 'member', null, 'user', $3, 'read', false),
         ($4, 'contact', 'another org', 'owner', 'role', 'member', null, 'role', 'member', 'read', true)
       returning id`,
      [org.id, team.id, member.id, other.id],
    );
    await sql(`insert into org_generations (org_id, generation, sharing_version) values ($1, 9, 4)`, [org.id]);

    const { snapshot, stats } = await withDb(async (db) => ({ snapshot: await loadSnapshot(db, org.id), stats: { ...db.stats } }));
    expect(stats).toMatchObject({ queries: 4, maxInFlight: 4 });
    expect(snapshot.orgId).toBe(org.id);
    expect(snapshot.version).toBe(4);
    expect(new Map(snapshot.users.map((u) => [u.id, u]))).toEqual(
      new Map([
        [admin.id, { id: admin.id, role: 'admin', managerId: null, teamId: null, isActive: true }],
        [manager.id, { id: manager.id, role: 'manager', managerId: admin.id, teamId: null, isActive: true }],
        [member.id, { id: member.id, role: 'member', managerId: manager.id, teamId: team.id, isActive: true }],
        [gone.id, { id: gone.id, role: 'member', managerId: manager.id, teamId: team.id, isActive: false }],
      ]),
    );
    expect(snapshot.settings).toEqual({
      contact: { defaultAccess: 'private', grantHierarchy: true },
      deal: { defaultAccess: 'public_read', grantHierarchy: false },
    });
    expect(snapshot.rules.map((r) => r.id).sort()).toEqual([rules[0].id, rules[1].id].sort());
    expect(snapshot.rules.find((r) => r.id === rules[0].id)).toEqual({
      id: rules[0].id,
      name: 'team to managers',
      objectType: 'contact',
      kind: 'owner',
      sourceType: 'team',
      sourceId: team.id,
      criteria: null,
      targetType: 'role',
      targetId: 'manager',
      access: 'edit',
    });
    expect(snapshot.rules.find((r) => r.id === rules[1].id)?.criteria).toEqual({ field: 'status', op: 'eq', value: 'won' });

    // What it compiles to: the manager edits the team's contacts (rule) and their reports'
    // (hierarchy, the inactive one included); deals are public_read without the hierarchy.
    const grants = await compileGrants(snapshot, manager.id);
    expect(grants.objects.contact).toMatchObject({ all: 'none', readOwners: [manager.id, member.id, gone.id].sort() });
    expect(grants.objects.contact.editOwners).toEqual(grants.objects.contact.readOwners);
    expect(grants.objects.deal).toMatchObject({ all: 'read', readOwners: [manager.id], editOwners: [manager.id], criteria: [] });
    expect((await compileGrants(snapshot, member.id)).objects.deal.criteria.map((c) => c.ruleId)).toEqual([rules[1].id]);
    expect((await compileGrants(snapshot, admin.id)).objects.contact.all).toBe('edit');
  });

  it('reads version 0 for an org no write has touched, and defaults for types without a setting', async () => {
    const org = await createOrg();
    const snapshot = await withDb((db) => loadSnapshot(db, org.id));
    expect(snapshot).toMatchObject({ version: 0, settings: {}, rules: [] });
    expect(snapshot.users).toHaveLength(3);
    const grants = await compileGrants(snapshot, org.users.member.id);
    for (const grant of Object.values(grants.objects)) expect(grant.all).toBe('edit');
  });
});

describe('compileGrants on the seeded demo org', () => {
  /** The owners whose records `email` reads (or edits) of `objectType`, by SQL alone. */
  async function expectedOwners(orgId: string, email: string, objectType: ObjectType, edit: boolean): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      `with recursive me as (select * from users where org_id = $1 and lower(email) = $2),
         setting as (select coalesce((select grant_hierarchy from sharing_settings where org_id = $1 and object_type = $3), true) as hierarchy),
         below as (
           select id from me
           union
           select u.id from users u join below b on u.manager_id = b.id where u.org_id = $1 and (select hierarchy from setting)
         ),
         ruled as (
           select o.id from sharing_rules r cross join me
           join users o on o.org_id = r.org_id
             and ((r.source_type = 'user' and o.id::text = r.source_id) or (r.source_type = 'team' and o.team_id::text = r.source_id)
               or (r.source_type = 'role' and o.role = r.source_id))
           where r.org_id = $1 and r.is_active and r.kind = 'owner' and r.object_type = $3 and (not $4 or r.access = 'edit')
             and ((r.target_type = 'user' and r.target_id = me.id::text) or (r.target_type = 'team' and r.target_id = me.team_id::text)
               or (r.target_type = 'role' and r.target_id = me.role))
         )
       select id::text from below union select id::text from ruled`,
      [orgId, email, objectType, edit],
    );
    return rows.map((r) => r.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  it('gives member@demo.test private contacts and deals with the owners the hierarchy and the seeded rules open', async () => {
    const demo = await demoOrg();
    const [member] = await sql<{ id: string }>(`select id from users where org_id = $1 and lower(email) = 'member@demo.test'`, [demo.orgId]);
    const snapshot = await withDb((db) => loadSnapshot(db, demo.orgId));
    const grants = await compileGrants(snapshot, member.id);
    const [{ version }] = await sql<{ version: string }>(`select coalesce((select sharing_version from org_generations where org_id = $1), 0) as version`, [
      demo.orgId,
    ]);
    expect(grants.version).toBe(Number(version));
    for (const type of ['contact', 'deal', 'lead'] as const) {
      expect(grants.objects[type].all, type).toBe('none');
      expect(grants.objects[type].readOwners, type).toEqual(await expectedOwners(demo.orgId, 'member@demo.test', type, false));
      expect(grants.objects[type].editOwners, type).toEqual(await expectedOwners(demo.orgId, 'member@demo.test', type, true));
    }
    // The seed's owner rules reach the member: more than their own records, fewer than everyone's.
    const contactOwners = grants.objects.contact.readOwners;
    expect(contactOwners).toContain(member.id);
    expect(contactOwners.length).toBeGreaterThan(1);
    expect(contactOwners.length).toBeLessThan(snapshot.users.length);
    const seededCriteria = await sql<{ id: string; object_type: string }>(
      `select r.id::text, r.object_type from sharing_rules r join users me on me.id = $2
        where r.org_id = $1 and r.is_active and r.kind = 'criteria'
          and ((r.target_type = 'user' and r.target_id = me.id::text) or (r.target_type = 'team' and r.target_id = me.team_id::text)
            or (r.target_type = 'role' and r.target_id = me.role))`,
      [demo.orgId, member.id],
    );
    expect(seededCriteria.length).toBeGreaterThan(0);
    for (const type of ['contact', 'deal', 'lead'] as const) {
      expect(grants.objects[type].criteria.map((c) => c.ruleId).sort()).toEqual(
        seededCriteria
          .filter((r) => r.object_type === type)
          .map((r) => r.id)
          .sort(),
      );
    }
    const [team] = await sql<{ team_id: string | null }>(`select team_id::text from users where id = $1`, [member.id]);
    expect(grants.objects.contact.shares).toEqual({ userId: member.id, teamId: team.team_id });
    // Companies and activities are public_read in the demo org.
    expect(grants.objects.company.all).toBe('read');
  });

  it('gives manager@demo.test their whole subtree, and every manager a fingerprint of their own', async () => {
    const demo = await demoOrg();
    const managers = await sql<{ id: string; email: string }>(
      `select id, lower(email) as email from users where org_id = $1 and role = 'manager' order by id`,
      [demo.orgId],
    );
    const snapshot = await withDb((db) => loadSnapshot(db, demo.orgId));
    const manager = managers.find((m) => m.email === 'manager@demo.test')!;
    const grants = await compileGrants(snapshot, manager.id);
    const owners = await expectedOwners(demo.orgId, 'manager@demo.test', 'contact', false);
    expect(grants.objects.contact.readOwners).toEqual(owners);
    expect(owners.length).toBeGreaterThan(2);
    const fingerprints = await Promise.all(managers.map(async (m) => (await compileGrants(snapshot, m.id)).fingerprint));
    expect(new Set(fingerprints).size).toBe(managers.length);
  });
});
