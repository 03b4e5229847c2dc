import type { MiddlewareHandler } from 'hono';
import { verify } from 'hono/jwt';
import { z } from 'zod';
import { USER_ROLES } from '../core/enums';
import { AppError } from '../core/errors';
import type { AppContext } from './context';

export const AuthClaims = z.object({
  sub: z.uuid(),
  org: z.uuid(),
  role: z.enum(USER_ROLES),
  exp: z.number().int(),
});
export type AuthClaims = z.infer<typeof AuthClaims>;

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)\s*$/;

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

function unauthorized(detail: string): AppError {
  return new AppError('unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="crm"' });
}

/** JWT HS256 with claims sub/org/role/exp; anything else is a 401 problem. */
export function requireAuth(): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header) throw unauthorized('Send "Authorization: Bearer <token>".');
    const match = BEARER.exec(header);
    if (!match) throw unauthorized('The Authorization header is not a bearer JWT.');
    let payload: unknown;
    try {
      payload = await verify(match[1], await verifyKey(c.var.services.vars.JWT_SECRET), 'HS256');
    } catch (err) {
      const name = (err as Error)?.name ?? '';
      throw unauthorized(name === 'JwtTokenExpired' ? 'The token has expired.' : 'The token is invalid.');
    }
    const claims = AuthClaims.safeParse(payload);
    if (!claims.success) throw unauthorized('The token lacks valid sub, org, role or exp claims.');
    c.set('auth', { userId: claims.data.sub, orgId: claims.data.org, role: claims.data.role });
    // Every authenticated route reads Postgres: open the connection while the route validates
    // and compiles (only for verified callers, so anonymous traffic never reaches the pool).
    c.var.services.db.prewarm();
    await next();
  };
}
