import type { MiddlewareHandler } from 'hono';
import { verify } from 'hono/jwt';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { CACHE_POLICY, type CallerRecord, isolateUsers, type UserMemo } from '../cache/isolate';
import { USER_ROLES } from '../core/enums';
import { AppError } from '../core/errors';
import type { Db } from '../db/client';
import type { AppContext } from './context';
import { answerPrivately } from './headers';

export const AuthClaims = z.object({
  sub: z.uuid(),
  org: z.uuid(),
  role: z.enum(USER_ROLES),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type AuthClaims = z.infer<typeof AuthClaims>;

/** How far a signer's clock may run ahead of ours: an `iat` up to this far in the future passes. */
export const CLOCK_SKEW_SECONDS = 60;

/** RFC 7235: the scheme is case-insensitive and one or more spaces follow it; the credentials are a JWT. */
const BEARER = /^bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+) *$/i;

const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key imported once per isolate and secret, not on every request. */
function verifyKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    key.catch(() => keys.delete(secret));
    keys.set(secret, key);
  }
  return key;
}

/** Tokens already verified in this isolate (CACHE_POLICY.tokens): their claims, by secret and token. */
const verifiedTokens = new LRUCache<string, AuthClaims>({ max: CACHE_POLICY.tokens.max });

function unauthorized(detail: string): AppError {
  return new AppError('unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="crm"' });
}

/**
 * The token's user as the database has it: one statement by primary key. It runs before the
 * caller's org is known to be true (that is what it checks), so it cannot start with the tenant
 * predicate; it reads one row and returns nothing to the client.
 */
async function lookUpUser(db: Db, userId: string): Promise<CallerRecord | null> {
  const { rows } = await db.query<{ org_id: string; role: CallerRecord['role']; is_active: boolean }>(
    'select org_id, role, is_active from users where id = $1',
    [userId],
  );
  const row = rows[0];
  return row ? { orgId: row.org_id, role: row.role, active: row.is_active } : null;
}

/** A verified signature, then claims sub/org/role/iat/exp within TOKEN_MAX_AGE_SECONDS; any failure is a 401. */
async function verifiedClaims(header: string | undefined, secret: string, maxAgeSeconds: number): Promise<AuthClaims> {
  if (!header) throw unauthorized('Send "Authorization: Bearer <token>".');
  const match = BEARER.exec(header);
  if (!match) throw unauthorized('The Authorization header is not a bearer JWT.');
  const now = Math.floor(Date.now() / 1000);
  // A token whose signature and claims were verified before is not verified again (the same
  // bytes verify the same way); its time bounds are checked on every use below.
  const memoKey = `${secret}\u0000${match[1]}`;
  let claims = verifiedTokens.get(memoKey);
  if (!claims) {
    let payload: unknown;
    try {
      // iat is checked below, with a clock skew (hono's own check allows none).
      payload = await verify(match[1], await verifyKey(secret), { alg: 'HS256', iat: false });
    } catch (err) {
      const name = (err as Error)?.name ?? '';
      throw unauthorized(name === 'JwtTokenExpired' ? 'The token has expired.' : 'The token is invalid.');
    }
    const parsed = AuthClaims.safeParse(payload);
    if (!parsed.success) throw unauthorized('The token lacks valid sub, org, role, iat or exp claims.');
    claims = parsed.data;
    verifiedTokens.set(memoKey, claims);
  }
  if (claims.exp <= now) throw unauthorized('The token has expired.');
  if (claims.iat > now + CLOCK_SKEW_SECONDS) throw unauthorized('The token is issued in the future.');
  // While exp is enforced, the second bound follows from the first; both are stated so the
  // age bound holds on its own.
  if (claims.exp - claims.iat > maxAgeSeconds || now - claims.iat > maxAgeSeconds) {
    throw unauthorized(`The token's lifetime exceeds ${maxAgeSeconds} seconds; ask for a new one.`);
  }
  return claims;
}

export interface AuthOptions {
  /** Where verified users are remembered; the isolate's cache unless a test brings its own (with its clock). */
  users?: UserMemo;
  /**
   * Whether to start opening the connection once the caller is known (default yes). Routes the
   * read tiers may answer say no: a hit must not open a connection it never uses.
   */
  prewarm?: boolean;
}

/**
 * A bearer JWT (HS256, claims sub/org/role/iat/exp, at most TOKEN_MAX_AGE_SECONDS long) whose
 * user exists, is active and belongs to the token's org; anything else is a 401 problem. The
 * caller's role is the database's, not the token's. The user is looked up once per
 * CACHE_POLICY.users bound (30 s) per isolate, misses and inactive users included, so
 * deactivating a user (or changing their role) takes effect within that bound; the OrgDO of
 * the sharing issue will carry invalidation sooner. Every answer of a route behind this is
 * private (Cache-Control: private, no-store), refusals included.
 */
export function requireAuth(options: AuthOptions = {}): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    answerPrivately(c);
    const { db, vars } = c.var.services;
    const claims = await verifiedClaims(c.req.header('Authorization'), vars.JWT_SECRET, vars.TOKEN_MAX_AGE_SECONDS);
    const users = options.users ?? isolateUsers();
    let user = users.get(claims.sub);
    if (user === undefined) {
      // The lookup opens the connection and is its first statement; the route's follow on it.
      user = await lookUpUser(db, claims.sub);
      users.set(claims.sub, user);
    }
    if (!user?.active || user.orgId !== claims.org) throw unauthorized("The token's user is not an active user of its org.");
    // Remembered callers open the connection here, while the route validates and compiles
    // (a no-op after a lookup); refused callers never reach the pool.
    if (options.prewarm !== false) db.prewarm();
    c.set('auth', { userId: claims.sub, orgId: user.orgId, role: user.role });
    await next();
  };
}
