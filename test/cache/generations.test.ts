import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { readGenerations } from '../../src/cache/generations';
import type { AppEnv } from '../../src/env';
import { type OrgDO, orgObject } from '../../src/sharing/org-do';
import { createContacts, createOrg } from '../support/factories';
import { tokenFor } from '../support/http';
import { withDb } from '../support/sharing';
import { send } from '../support/write';

// Generations as the read tiers will key by them: every committed write raises the org's
// generation and records it against each resource it touched (Postgres, the source of truth);
// the org's Durable Object serves them to isolates, reading Postgres again once its copy is older
// than GENERATION_SYNC_MS or behind the generation a caller asks for.
const rpcOf = (orgId: string) => orgObject(env as AppEnv, orgId);

describe('generations by resource', () => {
  it('a write records the new generation against each resource it touched, and answers it as X-Generation', async () => {
    const org = await createOrg();
    const token = await tokenFor(org.users.admin);
    const [contactId] = await createContacts(org.id, [{ first_name: 'Ada' }]);
    expect(await withDb((db) => readGenerations(db, org.id))).toEqual({ generation: 0, sharingVersion: 0, changed: {} });

    const patched = await send('PATCH', `/v1/contacts/${contactId}`, { token, body: { first_name: 'Ada B.' } });
    expect(patched.status).toBe(200);
    const first = Number(patched.headers.get('X-Generation'));
    expect(await withDb((db) => readGenerations(db, org.id))).toEqual({ generation: first, sharingVersion: 0, changed: { contacts: first } });

    const company = await send('POST', '/v1/companies', { token, body: { name: 'Acme' } });
    expect(company.status).toBe(201);
    const second = Number(company.headers.get('X-Generation'));
    expect(second).toBe(first + 1);
    // The contacts' entry stays where it was: answers reading only contacts remain valid.
    expect((await withDb((db) => readGenerations(db, org.id))).changed).toEqual({ contacts: first, companies: second });

    // A write to users also moves the sharing version.
    const user = await send('PATCH', `/v1/users/${org.users.member.id}`, { token, body: { name: 'Renamed' } });
    expect(user.status).toBe(200);
    const third = await withDb((db) => readGenerations(db, org.id));
    expect(third).toMatchObject({ generation: second + 1, sharingVersion: 1, changed: { contacts: first, companies: second, users: second + 1 } });

    // A refused write changes nothing.
    const refused = await send('PATCH', `/v1/contacts/${contactId}`, { token, body: { nope: 1 } });
    expect(refused.status).toBe(400);
    expect(await withDb((db) => readGenerations(db, org.id))).toEqual(third);
  });

  it("the org's object serves its copy while young enough, and reads Postgres again for a newer generation", async () => {
    const org = await createOrg();
    const token = await tokenFor(org.users.admin);
    const [contactId] = await createContacts(org.id, [{ first_name: 'Grace' }]);
    const rpc = rpcOf(org.id);

    const started = performance.now();
    const first = await rpc.generations(org.id, 0);
    expect(first.generations.generation).toBe(0);
    expect((await rpc.stats()).generationReads).toBe(1);
    const again = await rpc.generations(org.id, 0);
    const elapsed = performance.now() - started;
    // Within GENERATION_SYNC_MS (500 ms) the copy answers; on a box slow enough to pass it, a read.
    expect((await rpc.stats()).generationReads).toBe(elapsed < 450 ? 1 : 2);
    expect(again.ageMs).toBeGreaterThanOrEqual(0);

    const patched = await send('PATCH', `/v1/contacts/${contactId}`, { token, body: { first_name: 'Grace H.' } });
    const generation = Number(patched.headers.get('X-Generation'));
    // A caller that knows of the write (X-Min-Generation) gets it at once, whatever the copy's age.
    const fresh = await rpc.generations(org.id, generation);
    expect(fresh.generations).toMatchObject({ generation, changed: { contacts: generation } });
    expect(fresh.ageMs).toBeLessThan(100);
  });

  it('an object never answers for another org', async () => {
    const [a, b] = [await createOrg(), await createOrg()];
    await rpcOf(a.id).generations(a.id, 0);
    // On the instance, not over RPC: the plugin reports every rejected RPC call as an unhandled
    // rejection too, even when the test handles it (workers-sdk#14736).
    await runInDurableObject(env.ORG.get(env.ORG.idFromName(a.id)), async (instance: OrgDO) => {
      await expect(instance.generations(b.id, 0)).rejects.toThrow(/asked about org/);
    });
  });
});
