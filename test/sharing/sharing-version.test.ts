import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { readSharingVersion } from '../../src/write/generation';
import { createOrg, type TestOrg } from '../support/factories';
import { tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// The sharing version moves with the writes that change what users may see (users, teams)
// and stays put for records, whose owner the access predicate reads live.
describe('the sharing version', () => {
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
  });

  const versions = async () => {
    const [row] = await sql<{ generation: string; sharing_version: string }>(`select generation, sharing_version from org_generations where org_id = $1`, [
      org.id,
    ]);
    return { generation: Number(row?.generation ?? 0), sharing: Number(row?.sharing_version ?? 0) };
  };

  it('rises with a write to teams or users, not with a write to contacts', async () => {
    const start = await versions();

    const contact = await send('POST', '/v1/contacts', { token: admin, body: { first_name: 'Ada', owner_id: org.users.member.id } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    const reassigned = await send('PATCH', `/v1/contacts/${contact.body.data.id}`, { token: admin, body: { owner_id: org.users.manager.id } });
    expect(reassigned.status, JSON.stringify(reassigned.body)).toBe(200);
    const afterContacts = await versions();
    expect(afterContacts.generation).toBe(start.generation + 2);
    expect(afterContacts.sharing).toBe(start.sharing);

    const team = await send('POST', '/v1/teams', { token: admin, body: { name: 'Field' } });
    expect(team.status, JSON.stringify(team.body)).toBe(201);
    const afterTeam = await versions();
    expect(afterTeam).toEqual({ generation: afterContacts.generation + 1, sharing: afterContacts.sharing + 1 });

    const moved = await send('PATCH', `/v1/users/${org.users.member.id}`, { token: admin, body: { team_id: team.body.data.id } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const afterUser = await versions();
    expect(afterUser).toEqual({ generation: afterTeam.generation + 1, sharing: afterTeam.sharing + 1 });
    expect(Number(moved.headers.get('X-Generation'))).toBe(afterUser.generation);

    const db = createDb(env as never, () => {});
    try {
      expect(await readSharingVersion(db, org.id)).toBe(afterUser.sharing);
    } finally {
      await db.close();
    }
  });

  it('stays put when a write changes nothing', async () => {
    const before = await versions();
    const same = await send('PATCH', `/v1/users/${org.users.manager.id}`, { token: admin, body: { role: 'manager' } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect((await versions()).sharing).toBe(before.sharing);
  });

  it('is 0 for an org no write has touched', async () => {
    const fresh = await createOrg();
    const db = createDb(env as never, () => {});
    try {
      expect(await readSharingVersion(db, fresh.id)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
