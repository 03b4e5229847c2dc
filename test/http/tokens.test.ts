import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { CACHE_POLICY, createUserMemo, type UserMemo } from '../../src/cache/isolate';
import { requireAuth } from '../../src/http/auth';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// Tokens are checked against the users table: a signature alone no longer makes a caller.
// The rejections that need no database (shape, signature, claims) are in auth.unit.test.ts.
const PATH = '/api/v1/appusers/';
/** TOKEN_MAX_AGE_SECONDS as wrangler.toml sets it for the tests (the default). */
const MAX_AGE = Number(env.TOKEN_MAX_AGE_SECONDS);

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token with exactly these claims (tokenFor makes only well-formed ones). */
function signed(claims: Record<string, unknown>): Promise<string> {
  return sign(claims, env.JWT_SECRET, 'HS256');
}

function claimsOf(user: TestUser, extra: Record<string, unknown> = {}) {
  const now = nowSeconds();
  return { sub: user.id, org: user.orgId, role: user.role, iat: now, exp: now + 600, ...extra };
}

function expectUnauthorized(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="crm"');
  expect(res.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
}

/** The `N` of Server-Timing's `db;…;desc="N queries"`, or 0 when the request sent no statement. */
function statements(res: { headers: Headers }): number {
  const m = /db;dur=[\d.]+;desc="(\d+) queries/.exec(res.headers.get('server-timing') ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * The real app with one more route behind `requireAuth`, given a user cache the test controls
 * (its clock), that answers with the caller as the route sees it and the statements sent so far.
 */
function probe(users: UserMemo) {
  const app = createApp();
  app.get('/__probe', requireAuth({ users }), (c) => c.json({ auth: c.var.auth, statements: c.var.services.db.stats.queries }));
  return async (token: string) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request('http://localhost/__probe', { headers: { Authorization: `Bearer ${token}` } }), env as never, ctx);
    const body = await res.json<any>();
    await waitOnExecutionContext(ctx);
    return { status: res.status, headers: res.headers, body };
  };
}

describe('tokens are checked against real users', () => {
  let org: TestOrg;
  let other: TestOrg;
  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
  });

  it('a token verified once is still refused once it expires (the verified-token memo checks time on every use)', async () => {
    const token = await signed({ sub: org.users.admin.id, org: org.id, role: 'admin', iat: nowSeconds(), exp: nowSeconds() + 1 });
    expect((await get(PATH, { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await get(PATH, { token });
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toContain('expired');
  });

  it('a token whose user does not exist is a 401', async () => {
    const ghost: TestUser = { id: crypto.randomUUID(), orgId: org.id, role: 'admin' };
    expectUnauthorized(await get(PATH, { token: await tokenFor(ghost) }));
  });

  it('a token of an inactive user is a 401', async () => {
    const fresh = await createOrg();
    await sql('update users set is_active = false where id = $1', [fresh.users.manager.id]);
    expectUnauthorized(await get(PATH, { token: await tokenFor(fresh.users.manager) }));
    // The org's active users still pass.
    expect((await get(PATH, { token: await tokenFor(fresh.users.admin) })).status).toBe(200);
  });

  it("a token whose org is not its user's org is a 401", async () => {
    expectUnauthorized(await get(PATH, { token: await tokenFor({ ...org.users.admin, orgId: other.id }) }));
    expect((await get(PATH, { token: await tokenFor(org.users.admin) })).status).toBe(200);
  });

  it('a token living longer than TOKEN_MAX_AGE_SECONDS is a 401', async () => {
    expect(MAX_AGE).toBe(86_400);
    const now = nowSeconds();
    const user = org.users.member;
    // Issued now, expiring past the bound; issued long ago and still unexpired.
    const res = await get(PATH, { token: await signed(claimsOf(user, { iat: now, exp: now + MAX_AGE + 1 })) });
    expectUnauthorized(res);
    expect(res.body.detail).toMatch(/lifetime/);
    expectUnauthorized(await get(PATH, { token: await signed(claimsOf(user, { iat: now - MAX_AGE - 1, exp: now + 60 })) }));
    expectUnauthorized(await get(PATH, { token: await signed(claimsOf(user, { iat: now - 10 * 365 * 86_400, exp: now + 10 * 365 * 86_400 })) }));
    // Exactly the bound passes.
    expect((await get(PATH, { token: await signed(claimsOf(user, { iat: now, exp: now + MAX_AGE })) })).status).toBe(200);
  });

  it('a token without iat is a 401', async () => {
    const { iat: _, ...claims } = claimsOf(org.users.member);
    expectUnauthorized(await get(PATH, { token: await signed(claims) }));
    expectUnauthorized(await get(PATH, { token: await signed({ ...claims, iat: 'yesterday' }) }));
  });

  it('a token issued in the future is a 401, past a small clock skew', async () => {
    const now = nowSeconds();
    const user = org.users.member;
    const res = await get(PATH, { token: await signed(claimsOf(user, { iat: now + 120, exp: now + 600 })) });
    expectUnauthorized(res);
    expect(res.body.detail).toMatch(/future/);
    // A signer whose clock runs a little ahead is tolerated.
    expect((await get(PATH, { token: await signed(claimsOf(user, { iat: now + 30, exp: now + 600 })) })).status).toBe(200);
  });

  it('takes the scheme case-insensitively and tolerates extra spaces', async () => {
    const token = await tokenFor(org.users.member);
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}`, `bEaReR ${token}  `]) {
      expect((await get(PATH, { headers: { Authorization: header } })).status, header).toBe(200);
    }
    // Still strict about the token's shape.
    for (const header of [`bearer${token}`, `bearer ${token}.x`, `bearer ${token} extra`, `Bearer "${token}"`]) {
      expectUnauthorized(await get(PATH, { headers: { Authorization: header } }));
    }
  });

  it("uses the database's role, not the token's", async () => {
    const ask = probe(createUserMemo());
    const member = org.users.member;
    const asMember = await ask(await tokenFor({ ...member, role: 'admin' }));
    expect(asMember.status).toBe(200);
    expect(asMember.body.auth).toEqual({ userId: member.id, orgId: org.id, role: 'member' });
    const admin = org.users.admin;
    const asAdmin = await ask(await tokenFor({ ...admin, role: 'member' }));
    expect(asAdmin.body.auth).toEqual({ userId: admin.id, orgId: org.id, role: 'admin' });
  });

  it("a deactivated user's token stops working within the cache bound", async () => {
    const fresh = await createOrg();
    let now = 1_000; // the cache's clock, ours to move
    const ask = probe(createUserMemo(CACHE_POLICY.users, { now: () => now }));
    const token = await tokenFor(fresh.users.member);
    const first = await ask(token);
    expect(first.status).toBe(200);
    expect(first.body.statements).toBe(1); // the lookup
    await sql('update users set is_active = false where id = $1', [fresh.users.member.id]);
    // Within the bound the remembered answer stands (and costs no statement)…
    now += CACHE_POLICY.users.ttlMs - 1;
    const within = await ask(token);
    expect(within.status).toBe(200);
    expect(within.body.statements).toBe(0);
    // …and once it has passed, the user is looked up again and refused.
    now += 2;
    const after = await ask(token);
    expect(after.status).toBe(401);
    expect(statements(after)).toBe(1);
    expect(CACHE_POLICY.users.ttlMs).toBeLessThanOrEqual(30_000);
  });

  it('the lookup is one statement, not repeated within the bound; missing users are remembered too', async () => {
    const fresh = await createOrg();
    const token = await tokenFor(fresh.users.admin);
    const first = await get('/healthz?deep=1', { token });
    expect(first.status).toBe(200);
    expect(statements(first)).toBe(2); // the user lookup, then `select 1`
    const second = await get('/healthz?deep=1', { token });
    expect(second.status).toBe(200);
    expect(statements(second)).toBe(1); // `select 1` alone

    const ghost = await tokenFor({ id: crypto.randomUUID(), orgId: fresh.id, role: 'admin' });
    const refused = await get('/healthz?deep=1', { token: ghost });
    expectUnauthorized(refused);
    expect(statements(refused)).toBe(1);
    const again = await get('/healthz?deep=1', { token: ghost });
    expectUnauthorized(again);
    expect(statements(again)).toBe(0);
    expect(again.headers.get('server-timing')).not.toMatch(/db(-connect)?;/);
  });

  it('an inactive user is remembered too: refused again without a statement', async () => {
    let now = 1_000;
    const ask = probe(createUserMemo(CACHE_POLICY.users, { now: () => now }));
    const fresh = await createOrg();
    await sql('update users set is_active = false where id = $1', [fresh.users.member.id]);
    const token = await tokenFor(fresh.users.member);
    expect(statements(await ask(token))).toBe(1);
    now += 1_000;
    const again = await ask(token);
    expect(again.status).toBe(401);
    expect(statements(again)).toBe(0);
  });
});
