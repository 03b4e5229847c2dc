import { env } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import type { TestUser } from '../support/factories';
import { get, getWithoutDatabase, tokenFor } from '../support/http';

const PATH = '/api/v1/appusers/';

// Every rejection happens before the route reads Postgres, so the caller needs no row in it:
// made-up ids will do (the unit lane has no database). A valid token's success is in auth.test.ts.
const ORG = '00000000-0000-4000-8000-00000000a001';
const ADMIN: TestUser = { id: '00000000-0000-4000-8000-00000000a002', role: 'admin', orgId: ORG };

function expectUnauthorized(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.headers.get('www-authenticate')).toContain('Bearer');
  expect(res.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
}

describe('auth', () => {
  it('rejects a missing token', async () => {
    expectUnauthorized(await get(PATH));
  });

  it('rejects a non-bearer or malformed header', async () => {
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }));
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Bearer not-a-jwt' } }));
    expectUnauthorized(await get(PATH, { headers: { Authorization: 'Bearer a.b.c' } }));
  });

  it('rejects an expired token', async () => {
    const res = await get(PATH, { token: await tokenFor(ADMIN, { ttl: -60 }) });
    expectUnauthorized(res);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('rejects a token signed with another secret', async () => {
    expectUnauthorized(await get(PATH, { token: await tokenFor(ADMIN, { secret: 'another-secret-of-sufficient-length' }) }));
  });

  it('rejects a token signed with another algorithm', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await sign({ sub: ADMIN.id, org: ORG, role: 'admin', exp: now + 60 }, env.JWT_SECRET, 'HS512');
    expectUnauthorized(await get(PATH, { token: t }));
  });

  it('rejects a token without the required claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { org: ORG, role: 'admin', iat: now, exp: now + 60 },
      { sub: ADMIN.id, role: 'admin', iat: now, exp: now + 60 },
      { sub: ADMIN.id, org: ORG, role: 'owner', iat: now, exp: now + 60 },
      { sub: ADMIN.id, org: ORG, role: 'admin', iat: now },
      { sub: 'not-a-uuid', org: ORG, role: 'admin', iat: now, exp: now + 60 },
      { sub: ADMIN.id, org: ORG, role: 'admin', exp: now + 60 },
      { sub: ADMIN.id, org: ORG, role: 'admin', iat: now + 0.5, exp: now + 60 },
    ]) {
      expectUnauthorized(await get(PATH, { token: await sign(claims, env.JWT_SECRET, 'HS256') }));
    }
  });

  // A token that passes these checks goes on to the user lookup, which in this lane (no
  // database) is a 503: a 401 here proves the refusal came first, from the claims alone.
  it('rejects a token issued in the future or living longer than TOKEN_MAX_AGE_SECONDS', async () => {
    const now = Math.floor(Date.now() / 1000);
    const max = Number(env.TOKEN_MAX_AGE_SECONDS);
    for (const [iat, exp, detail] of [
      [now + 120, now + 600, /future/],
      [now, now + max + 1, /lifetime/],
      [now - max - 1, now + 60, /lifetime/],
    ] as const) {
      const res = await get(PATH, { token: await sign({ sub: ADMIN.id, org: ORG, role: 'admin', iat, exp }, env.JWT_SECRET, 'HS256') });
      expectUnauthorized(res);
      expect(res.body.detail).toMatch(detail);
    }
    // Within the skew and the bound, the claims pass: on to the lookup, here with the database unreachable.
    const passes = await sign({ sub: ADMIN.id, org: ORG, role: 'admin', iat: now + 30, exp: now + max }, env.JWT_SECRET, 'HS256');
    expect((await getWithoutDatabase(PATH, { token: passes })).status).toBe(503);
  });

  it('takes the Bearer scheme case-insensitively, with extra spaces', async () => {
    const expired = await tokenFor(ADMIN, { ttl: -60 });
    for (const header of [`bearer ${expired}`, `BEARER ${expired}`, `Bearer    ${expired}`]) {
      const res = await get(PATH, { headers: { Authorization: header } });
      expectUnauthorized(res);
      // Read as a bearer token (it is refused for its expiry, not for its header).
      expect(res.body.detail, header).toMatch(/expired/);
    }
    for (const header of [`Bearer${expired}`, `Bearer ${expired}.x`, `Bearer ${expired} extra`, `Token ${expired}`]) {
      const res = await get(PATH, { headers: { Authorization: header } });
      expectUnauthorized(res);
      expect(res.body.detail, header).toMatch(/not a bearer JWT/);
    }
  });
});
