import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Internal views (issue 26 §4): an org's stats and its usage record, one statement each, behind
// the internal token only.

const internal = { Authorization: `Bearer ${(env as unknown as { INTERNAL_TOKEN: string }).INTERNAL_TOKEN}` };

describe('internal org views', () => {
  let org: TestOrg;

  beforeAll(async () => {
    org = await createOrg();
    await createContacts(org.id, [{ first_name: 'A' }, { first_name: 'B' }, { first_name: 'C' }]);
    await sql(`insert into companies (org_id, name) values ($1, 'Acme')`, [org.id]);
  });

  it('stats: the org’s counts in one statement; the internal token only', async () => {
    const res = await get(`/internal/orgs/${org.id}/stats`, { headers: internal });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(statementsOf(res)).toBe(1);
    expect(res.body.data).toMatchObject({ contacts: 3, companies: 1, deals: 0, dealsByStatus: {}, pipelineValue: '0', leads: 0 });
    expect(res.body.data.users).toBeGreaterThanOrEqual(3);
    // A user's token, even an admin's, and a wrong internal token are 401s.
    expect((await get(`/internal/orgs/${org.id}/stats`, { token: await tokenFor(org.users.admin) })).status).toBe(401);
    expect((await get(`/internal/orgs/${org.id}/stats`, { headers: { Authorization: 'Bearer nope-nope-nope' } })).status).toBe(401);
    expect((await get(`/internal/orgs/${crypto.randomUUID()}/stats`, { headers: internal })).status).toBe(404);
  });

  it('usage: counted and recorded for the day in one statement, again the same day replaces it', async () => {
    const first = await send('POST', `/internal/orgs/${org.id}/usage`, { headers: internal });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.data.counts).toMatchObject({ contacts: 3, companies: 1, deals: 0 });
    await createContacts(org.id, [{ first_name: 'D' }]);
    const again = await send('POST', `/internal/orgs/${org.id}/usage`, { headers: internal });
    expect(again.body.data).toMatchObject({ day: first.body.data.day, counts: { contacts: 4 } });
    const stored = await sql(`select data from rollups where org_id = $1 and kind = 'usage'`, [org.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0].data.contacts).toBe(4);
    expect((await send('POST', `/internal/orgs/${crypto.randomUUID()}/usage`, { headers: internal })).status).toBe(404);
  });
});
