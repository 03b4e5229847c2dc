import { env, SELF } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import type { TestUser } from './factories';

export async function tokenFor(user: TestUser, opts: { ttl?: number; secret?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: user.id, org: user.orgId, role: user.role, exp: now + (opts.ttl ?? 3600) }, opts.secret ?? env.JWT_SECRET, 'HS256');
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
