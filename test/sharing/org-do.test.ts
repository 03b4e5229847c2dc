import { evictDurableObject, listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import { type OrgDO, orgObject } from '../../src/sharing/org-do';
import { createOrg, type TestOrg } from '../support/factories';
import { sql } from '../support/sql';

// The org's Durable Object against the real test database: it loads the org's snapshot from
// Postgres only when asked for a version newer than it holds, keeps it in its SQLite storage
// (a restarted object answers from there), and compiles grants per user once per version.
// Each test makes its own org, so its own object.

/** The raw stub, for the plugin's helpers; `rpcOf` for calls, typed as the Worker calls them. */
const stubOf = (orgId: string) => env.ORG.get(env.ORG.idFromName(orgId));
const rpcOf = (orgId: string) => orgObject(env as AppEnv, orgId);

async function setSharingVersion(orgId: string, version: number): Promise<void> {
  await sql(
    `insert into org_generations (org_id, sharing_version) values ($1, $2)
     on conflict (org_id) do update set sharing_version = excluded.sharing_version`,
    [orgId, version],
  );
}

/** A criteria rule granting `userId` read on contacts named `lastName`; its id. */
async function addCriteriaRule(org: TestOrg, userId: string, lastName: string): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `insert into sharing_rules (org_id, object_type, name, kind, criteria, target_type, target_id, access)
     values ($1, 'contact', $2, 'criteria', $3::jsonb, 'user', $4, 'read') returning id`,
    [org.id, `named ${lastName}`, JSON.stringify({ last_name: { eq: lastName } }), userId],
  );
  return row.id;
}

describe('OrgDO', () => {
  it('loads the snapshot once, stores it, and answers the same version from memory', async () => {
    const org = await createOrg();
    const stub = stubOf(org.id);
    const rpc = rpcOf(org.id);
    const { member } = org.users;

    const first = await rpc.grants(org.id, member.id, 0);
    expect(first).toMatchObject({ orgId: org.id, userId: member.id, version: 0 });
    expect(first.fingerprint).toEqual(expect.any(String));
    const again = await rpc.grants(org.id, member.id, 0);
    expect(again).toEqual(first);
    // Another user of the same org: the same snapshot, compiled for them.
    const manager = await rpc.grants(org.id, org.users.manager.id, 0);
    expect(manager.objects.contact.readOwners).toEqual([member.id, org.users.manager.id].sort());

    expect(await rpc.stats()).toMatchObject({ orgId: org.id, version: 0, loads: 1, compiles: 2, calls: 3 });
    const stored = await runInDurableObject(stub, (_: OrgDO, state) =>
      state.storage.sql.exec<{ org_id: string; version: number; chunks: number }>('select org_id, version, chunks from snapshot_meta').toArray(),
    );
    expect(stored).toEqual([{ org_id: org.id, version: 0, chunks: 1 }]);
  });

  it('a restarted object answers a current version from its storage, without Postgres', async () => {
    const org = await createOrg();
    const stub = stubOf(org.id);
    const rpc = rpcOf(org.id);
    await setSharingVersion(org.id, 3);
    const before = await rpc.grants(org.id, org.users.member.id, 3);
    expect(before.version).toBe(3);

    // A rule committed without its version bump: an object that read Postgres would see it.
    await addCriteriaRule(org, org.users.member.id, 'Unbumped');
    await evictDurableObject(stub);

    const after = await rpc.grants(org.id, org.users.member.id, 3);
    expect(after).toEqual(before);
    expect(after.objects.contact.criteria).toEqual([]);
    expect(await rpc.stats()).toMatchObject({ version: 3, loads: 0, compiles: 1 });
  });

  it('a newer minVersion reloads from Postgres and recompiles', async () => {
    const org = await createOrg();
    const rpc = rpcOf(org.id);
    const { member } = org.users;
    const old = await rpc.grants(org.id, member.id, 0);
    expect(old.objects.contact.criteria).toEqual([]);

    const ruleId = await addCriteriaRule(org, member.id, 'Lovelace');
    await setSharingVersion(org.id, 1);
    // An older or equal minVersion is still answered from what the object holds.
    expect(await rpc.grants(org.id, member.id, 0)).toEqual(old);

    const fresh = await rpc.grants(org.id, member.id, 1);
    expect(fresh.version).toBe(1);
    expect(fresh.objects.contact.criteria).toEqual([{ ruleId, name: 'named Lovelace', access: 'read', where: { last_name: { eq: 'Lovelace' } } }]);
    expect(fresh.fingerprint).not.toBe(old.fingerprint);
    expect(await rpc.stats()).toMatchObject({ version: 1, loads: 2, compiles: 2 });
    expect(await rpc.version()).toBe(1);
  });

  it('concurrent calls for a newer version share one load', async () => {
    const org = await createOrg();
    const rpc = rpcOf(org.id);
    await rpc.grants(org.id, org.users.member.id, 0);
    await setSharingVersion(org.id, 5);
    const users = [org.users.admin, org.users.manager, org.users.member];
    const answers = await Promise.all([...users, ...users].map((u) => rpc.grants(org.id, u.id, 5)));
    expect(answers.map((a) => a.version)).toEqual([5, 5, 5, 5, 5, 5]);
    expect((await rpc.stats()).loads).toBe(2);
  });

  it('ignores a stored snapshot of another format and loads afresh', async () => {
    const org = await createOrg();
    const stub = stubOf(org.id);
    const rpc = rpcOf(org.id);
    await rpc.grants(org.id, org.users.member.id, 0);
    await runInDurableObject(stub, (_: OrgDO, state) => {
      state.storage.sql.exec('update snapshot_meta set format = format + 1000');
    });
    await evictDurableObject(stub);
    expect(await rpc.version()).toBeNull();
    await rpc.grants(org.id, org.users.member.id, 0);
    expect((await rpc.stats()).loads).toBe(1);
  });

  it('stores a snapshot larger than one row in several and reads it back whole', async () => {
    const org = await createOrg();
    // About 2,500 users: the snapshot's JSON passes one chunk (256 Ki characters).
    await sql(
      `insert into users (org_id, email, name, role, manager_id)
       select $1, 'bulk' || i || '@' || $2 || '.test', 'Bulk ' || i, 'member', $3 from generate_series(1, 2500) i`,
      [org.id, org.slug, org.users.member.id],
    );
    const stub = stubOf(org.id);
    const rpc = rpcOf(org.id);
    const loaded = await rpc.grants(org.id, org.users.manager.id, 0);
    expect(loaded.objects.deal.readOwners).toHaveLength(2 + 2500);
    const chunks = await runInDurableObject(
      stub,
      (_: OrgDO, state) => state.storage.sql.exec<{ n: number }>('select count(*) as n from snapshot_chunks').one().n,
    );
    expect(chunks).toBeGreaterThan(1);

    await evictDurableObject(stub);
    expect(await rpc.grants(org.id, org.users.manager.id, 0)).toEqual(loaded);
    expect(await rpc.stats()).toMatchObject({ loads: 0, version: 0 });
  });

  it('one object per org, and an object never answers for another org', async () => {
    const a = await createOrg();
    const b = await createOrg();
    const [ga, gb] = await Promise.all([rpcOf(a.id).grants(a.id, a.users.member.id, 0), rpcOf(b.id).grants(b.id, b.users.member.id, 0)]);
    expect(ga.orgId).toBe(a.id);
    expect(gb.orgId).toBe(b.id);

    const ids = (await listDurableObjectIds(env.ORG)).map(String);
    const idA = env.ORG.idFromName(a.id).toString();
    const idB = env.ORG.idFromName(b.id).toString();
    expect(idA).not.toBe(idB);
    expect(ids).toEqual(expect.arrayContaining([idA, idB]));

    // Called on the instance, not over RPC: the plugin reports every rejected RPC call as an
    // unhandled rejection too, even when the test handles it (workers-sdk#14736).
    await runInDurableObject(stubOf(a.id), async (instance: OrgDO) => {
      await expect(instance.grants(b.id, b.users.member.id, 0)).rejects.toThrow(/asked about org/);
    });
  });
});
