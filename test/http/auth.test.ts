import { env } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';

const PATH = '/api/v1/appusers/';

function expectUnauthorized(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.headers.get('www-authenticate')).toContain('Bearer');
  expect(res.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
}

describe('auth', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg();
  });

  it('accepts a valid token', async () => {
    const res = await get(PATH, { token: await tokenFor(org.users.admin) });
    expect(res.status).toBe(200);
  });

  it('rejects a missing token', async () => {
    expectUnauthorized(await get(PATH));
  });

  it('rejects a non-bearer or malformed header', async () => {
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }));
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Bearer not-a-jwt' } }));
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Bearer a.b.c' } }));
  });

  it('rejects an expired token', async () => {
    const res = await get(PATH, { token: await tokenFor(org.users.admin, { ttl: -60 }) });
    expectUnauthorized(res);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('rejects a token signed with another secret', async () => {
    expectUnauthorized(await get(PATH, { token: await tokenFor(org.users.admin, { secret: 'another-secret-of-sufficient-length' }) }));
  });

  it('rejects a token signed with another algorithm', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await sign({ sub: org.users.admin.id, org: org.id, role: 'admin', exp: now + 60 }, env.JWT_SECRET, 'HS512');
    expectUnauthorized(await get(PATH, { token: t }));
  });

  it('rejects a token without the required claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { org: org.id, role: 'admin', exp: now + 60 },
      { sub: org.users.admin.id, role: 'admin', exp: now + 60 },
      { sub: org.users.admin.id, org: org.id, role: 'owner', exp: now + 60 },
      { sub: org.users.admin.id, org: org.id, role: 'admin' },
      { sub: 'not-a-uuid', org: org.id, role: 'admin', exp: now + 60 },
    ]) {
      expectUnauthorized(await get(PATH, { token: await sign(claims, env.JWT_SECRET, 'HS256') }));
    }
  });
});
