import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { tokenFor } from '../support/http';

// The same routes through both database paths, against the same real Postgres:
// the Hyperdrive binding with pg, and Neon's serverless driver over a local WebSocket proxy.
const envs = {
  hyperdrive: () => env,
  neon: () => ({ ...env, HYPERDRIVE: undefined, DATABASE_URL: env.TEST_DATABASE_URL, NEON_WS_PROXY: env.NEON_WS_PROXY }),
} as const;

async function call(which: keyof typeof envs, path: string, token?: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} }),
    envs[which]() as never,
    ctx,
  );
  const body = await res.json<any>();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body };
}

describe('database drivers', () => {
  let org: TestOrg;
  /** The database check is /healthz?deep=1, for authenticated callers (the shallow /healthz touches no database). */
  const bearer = async () => ({ Authorization: `Bearer ${await tokenFor(org.users.admin)}` });
  beforeAll(async () => {
    org = await createOrg();
    await createContacts(org.id, [
      {
        first_name: 'Neon',
        last_name: 'Driver',
        address: { city: 'Lisbon', country: 'Portugal' },
        relationships: [{ points: 7, created_at: '2025-01-01T00:00:00Z' }],
      },
      { first_name: 'Hyper', last_name: 'Drive', address: { city: 'Oslo', country: 'Norway' } },
    ]);
  });

  for (const which of Object.keys(envs) as Array<keyof typeof envs>) {
    it(`${which}: /healthz?deep=1 reports the driver`, async () => {
      const res = await call(which, '/healthz?deep=1', await tokenFor(org.users.admin));
      expect(res.status).toBe(200);
      expect(res.body.db.driver).toBe(which);
    });

    it(`${which}: appusers answers the same`, async () => {
      const res = await call(which, '/api/v1/appusers/?city=lis', await tokenFor(org.users.admin));
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(1);
      expect(res.body.results[0]).toMatchObject({ first_name: 'Neon', relationships: [{ points: 7 }] });
    });
  }

  it('with no database configured, a DB route is a 503 problem, not a 500', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://localhost/healthz?deep=1', { headers: await bearer() }),
      { ...env, HYPERDRIVE: undefined } as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'service_unavailable' });
  });

  it('an unreachable database is a 503 problem', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://localhost/healthz?deep=1', { headers: await bearer() }),
      { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://postgres:postgres@127.0.0.1:1/crm' } } as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = await res.json<any>();
    expect(body.code).toBe('service_unavailable');
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:/);
  });

  it('a database that accepts the connection and never answers is a 503 within CONNECT_TIMEOUT_MS', async () => {
    // TEST_HUNG_DB_URL: a server from test/global-setup.ts that accepts and never writes a byte.
    const timeoutMs = 300;
    const ctx = createExecutionContext();
    const started = Date.now();
    const res = await worker.fetch(
      new Request('http://localhost/healthz?deep=1', { headers: await bearer() }),
      { ...env, HYPERDRIVE: { connectionString: env.TEST_HUNG_DB_URL }, CONNECT_TIMEOUT_MS: String(timeoutMs) } as never,
      ctx,
    );
    const elapsed = Date.now() - started;
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
    // Ended by the timeout (nothing else ends a silent server), and promptly after it.
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(elapsed).toBeLessThan(5 * timeoutMs);
  });
});
