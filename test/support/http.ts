import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import worker from '../../src/index';
import type { TestUser } from './factories';

/** A token as scripts/lib/jwt.ts signs them: issued now (`iat`), living `ttl` seconds (an hour). */
export async function tokenFor(user: TestUser, opts: { ttl?: number; secret?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: user.id, org: user.orgId, role: user.role, iat: now, exp: now + (opts.ttl ?? 3600) }, opts.secret ?? env.JWT_SECRET, 'HS256');
}

/** GET through the Worker's fetch, as a client would. */
export async function get(path: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  return read(await SELF.fetch(`http://localhost${path}`, { headers: headersOf(opts) }));
}

/**
 * GET through the Worker with its database unreachable (a closed port): whatever lane the test
 * runs in, with or without the seeded database, a request that gets as far as Postgres is a 503.
 */
export async function getWithoutDatabase(path: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const ctx = createExecutionContext();
  const down = { ...env, HYPERDRIVE: { connectionString: 'postgres://nobody:nothing@127.0.0.1:1/none' } };
  const res = await worker.fetch(new Request(`http://localhost${path}`, { headers: headersOf(opts) }), down as never, ctx);
  const out = await read(res);
  await waitOnExecutionContext(ctx);
  return out;
}

function headersOf(opts: { token?: string; headers?: Record<string, string> }): Record<string, string> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  return headers;
}

async function read(res: Response) {
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

/** Statements the request sent, from its Server-Timing `db` entry (what tests of "one statement" count). */
export function statementsOf(res: { headers: Headers }): number {
  const m = /db;dur=[\d.]+;desc="(\d+) queries/.exec(res.headers.get('Server-Timing') ?? '');
  if (!m) throw new Error(`no db entry in Server-Timing: ${res.headers.get('Server-Timing')}`);
  return Number(m[1]);
}
