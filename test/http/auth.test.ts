import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';

// The rejections need no database and run in the unit lane: auth.unit.test.ts.
describe('auth', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg();
  });

  it('accepts a valid token', async () => {
    const res = await get('/api/v1/appusers/', { token: await tokenFor(org.users.admin) });
    expect(res.status).toBe(200);
  });
});
