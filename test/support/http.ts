import { env, SELF } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import type { TestUser } from './factories';

/** A token as scripts/lib/jwt.ts signs them: issued now (`iat`), living `ttl` seconds (an hour). */
export async function tokenFor(user: TestUser, opts: { ttl?: number; secret?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: user.id, org: user.orgId, role: user.role, iat: now, exp: now + (opts.ttl ?? 3600) }, opts.secret ?? env.JWT_SECRET, 'HS256');
}

/** GET through the Worker's fetch, as a client would. */
export async function get(path: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const res = await SELF.fetch(`http://localhost${path}`, { headers });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * Makes the caller's user lookup happen now (one statement, remembered for 30 s in the isolate:
 * CACHE_POLICY.users), so a request right after it counts only the route's own statements.
 */
export async function warmCaller(token: string): Promise<void> {
  const res = await get('/healthz?deep=1', { token });
  if (res.status !== 200) throw new Error(`warmCaller: /healthz?deep=1 answered ${res.status}`);
}
