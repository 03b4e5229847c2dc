import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Auth } from '../../src/core/auth';
import { AppError } from '../../src/core/errors';
import { createDb, type Db } from '../../src/db/client';
import type { AppEnv } from '../../src/env';
import { grantsFor } from '../../src/sharing/access';
import { orgObject } from '../../src/sharing/org-do';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { sql } from '../support/sql';

// The request path's accessor: one statement on the request's connection reads the org's
// sharing version; grants held in isolate memory at that version answer, anything else asks the
// org's Durable Object. Its `calls` counter (over RPC) shows whether it was asked.

const auth = (u: TestUser): Auth => ({ userId: u.id, orgId: u.orgId, role: u.role });
const doCalls = async (orgId: string) => (await orgObject(env as AppEnv, orgId).stats()).calls;

async function setSharingVersion(orgId: string, version: number): Promise<void> {
  await sql(
    `insert into org_generations (org_id, sharing_version) values ($1, $2)
     on conflict (org_id) do update set sharing_version = excluded.sharing_version`,
    [orgId, version],
  );
}

async function addCriteriaRule(org: TestOrg, userId: string): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `insert into sharing_rules (org_id, object_type, name, kind, criteria, target_type, target_id, access)
     values ($1, 'deal', 'big deals', 'criteria', '{"amount": {"gte": 100000}}', 'user', $2, 'edit') returning id`,
    [org.id, userId],
  );
  return row.id;
}

describe('grantsFor', () => {
  let org: TestOrg;
  let db: Db;
  beforeEach(async () => {
    org = await createOrg();
    db = createDb(env as AppEnv, () => {});
  });
  afterEach(async () => {
    await db.close();
  });

  it('asks the Durable Object once, then answers from memory at the same version', async () => {
    const first = await grantsFor(env as AppEnv, db, auth(org.users.member));
    expect(first.source).toBe('durable-object');
    // The object's cost is measured (the Worker's clock advances across the RPC): here it loaded the snapshot from Postgres.
    expect(first.ms).toBeGreaterThan(0);
    expect(first.grants).toMatchObject({ orgId: org.id, userId: org.users.member.id, version: 0 });
    expect(await doCalls(org.id)).toBe(1);

    const queries = db.stats.queries;
    const second = await grantsFor(env as AppEnv, db, auth(org.users.member));
    expect(second).toEqual({ grants: first.grants, source: 'memory', ms: 0 });
    // One statement on the request's connection, and no call to the object.
    expect(db.stats.queries).toBe(queries + 1);
    expect(await doCalls(org.id)).toBe(1);

    // Another user of the org is another entry.
    expect((await grantsFor(env as AppEnv, db, auth(org.users.manager))).source).toBe('durable-object');
    expect(await doCalls(org.id)).toBe(2);
  });

  it('after a version bump the next call goes to the Durable Object and sees the new rules; a revocation too', async () => {
    const before = await grantsFor(env as AppEnv, db, auth(org.users.member));
    expect(before.grants.objects.deal.criteria).toEqual([]);

    const ruleId = await addCriteriaRule(org, org.users.member.id);
    // Committed but not yet counted: the held grants still answer (the version decides).
    expect((await grantsFor(env as AppEnv, db, auth(org.users.member))).source).toBe('memory');

    await setSharingVersion(org.id, 1);
    const granted = await grantsFor(env as AppEnv, db, auth(org.users.member));
    expect(granted.source).toBe('durable-object');
    expect(granted.grants.version).toBe(1);
    expect(granted.grants.objects.deal.criteria).toEqual([{ ruleId, name: 'big deals', access: 'edit', where: { amount: { gte: 100000 } } }]);
    expect((await grantsFor(env as AppEnv, db, auth(org.users.member))).source).toBe('memory');

    await sql('update sharing_rules set is_active = false where id = $1', [ruleId]);
    await setSharingVersion(org.id, 2);
    const revoked = await grantsFor(env as AppEnv, db, auth(org.users.member));
    expect(revoked.source).toBe('durable-object');
    expect(revoked.grants.version).toBe(2);
    expect(revoked.grants.objects.deal.criteria).toEqual([]);
    expect(revoked.grants.fingerprint).not.toBe(granted.grants.fingerprint);
  });

  it('concurrent misses of one user each ask the object, which loads and compiles once; then memory answers', async () => {
    // Not merged in the Worker: a Durable Object RPC belongs to the request that made it, and
    // others awaiting it are cancelled if that request ends first (see src/sharing/access.ts).
    const answers = await Promise.all(Array.from({ length: 5 }, () => grantsFor(env as AppEnv, db, auth(org.users.admin))));
    expect(answers.every((a) => a.source === 'durable-object' && a.grants.userId === org.users.admin.id)).toBe(true);
    const stats = await orgObject(env as AppEnv, org.id).stats();
    expect(stats.calls).toBe(5);
    expect(stats.loads).toBe(1);
    expect((await grantsFor(env as AppEnv, db, auth(org.users.admin))).source).toBe('memory');
  });

  it('a failing Durable Object is a 503, never an answer', async () => {
    const failing = {
      ...env,
      ORG: { idFromName: (name: string) => env.ORG.idFromName(name), get: () => ({ grants: () => Promise.reject(new Error('object overloaded')) }) },
    } as unknown as AppEnv;
    const err = await grantsFor(failing, db, auth(org.users.member)).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'service_unavailable', status: 503 });
  });
});
