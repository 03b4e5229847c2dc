import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDb, viaClient, wantsTls } from '../../src/db/client';
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
  beforeAll(async () => {
    org = await createOrg();
    await createContacts(org.id, [
      { first_name: 'Neon', last_name: 'Driver', address: { city: 'Lisbon', country: 'Portugal' }, relationships: [{ points: 7, created_at: '2025-01-01T00:00:00Z' }] },
      { first_name: 'Hyper', last_name: 'Drive', address: { city: 'Oslo', country: 'Norway' } },
    ]);
  });

  for (const which of Object.keys(envs) as Array<keyof typeof envs>) {
    it(`${which}: /healthz reports the driver`, async () => {
      const res = await call(which, '/healthz');
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

  it('hyperdrive: the wire client carries a result of many chunks intact, then the next statement, then closes', async () => {
    // src/db/wire.ts parses a stream of chunks into messages: a wrong offset, a lost
    // or reordered chunk would corrupt this or hang the next query.
    const db = createDb(env as never, () => {});
    const { rows } = await db.query<{ s: string; h: string }>(
      `select s, md5(s) as h from (select string_agg(md5(i::text), '' order by i) as s from generate_series(1, 20000) i) t`,
    );
    expect(rows[0].s.length).toBe(640_000);
    const digest = new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(rows[0].s)));
    expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(rows[0].h);
    expect((await db.query<{ n: number }>('select $1::int + 1 as n', [41])).rows[0].n).toBe(42);
    await db.close();
  });

  it('TLS connection strings keep pg\'s own socket; plain ones use ours', () => {
    expect(wantsTls('postgres://u:p@h:5432/db')).toBe(false);
    expect(wantsTls('postgres://u:p@h:5432/db?sslmode=disable')).toBe(false);
    expect(wantsTls('postgres://u:p@h:5432/db?sslmode=require')).toBe(true);
    expect(wantsTls('postgres://u:p@h:5432/db?application_name=x&ssl=true')).toBe(true);
  });

  it('with no database configured, a DB route is a 503 problem, not a 500', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://localhost/healthz'), { ...env, HYPERDRIVE: undefined } as never, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'service_unavailable' });
  });

  it('an unreachable database is a 503 problem', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://localhost/healthz'),
      { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: 'postgres://postgres:postgres@127.0.0.1:1/crm' } } as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = await res.json<any>();
    expect(body.code).toBe('service_unavailable');
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:/);
  });
});

describe('statement timeout', () => {
  it('pg (the TLS path): per statement too, rows and errors intact', async () => {
    const conn = viaClient(new pg.Client({ connectionString: env.HYPERDRIVE.connectionString }) as never, 200, () => {});
    try {
      await expect(conn.query('select pg_sleep(2)', [])).rejects.toMatchObject({ code: '57014' });
      expect(await conn.query('select $1::int as n, current_setting($2) as st', [7, 'statement_timeout'])).toEqual([{ n: 7, st: '200ms' }]);
      expect(await conn.query("select reset_val from pg_settings where name = 'statement_timeout'", [])).toEqual([{ reset_val: '0' }]);
      await expect(conn.query('select 1/0', [])).rejects.toMatchObject({ code: '22012' });
      expect(await conn.query('select g from generate_series(1, 3) g', [])).toEqual([{ g: 1 }, { g: 2 }, { g: 3 }]);
    } finally {
      await conn.end();
    }
  });

  for (const which of Object.keys(envs) as Array<keyof typeof envs>) {
    it(`${which}: Postgres cancels a statement past STATEMENT_TIMEOUT_MS → query_too_expensive`, async () => {
      const db = createDb(envs[which]() as never, () => {}, 200);
      try {
        await expect(db.query('select pg_sleep(2)')).rejects.toMatchObject({ code: 'query_too_expensive', status: 422 });
        expect((await db.query<{ ok: number }>('select 1 as ok')).rows[0].ok).toBe(1);
        // Set per statement, inside the statement's own transaction: poolers reject or drop
        // startup parameters, and a session SET would outlive the request. The session's own
        // value (what RESET restores; a startup parameter would set it) stays the server's.
        const { rows } = await db.query<{ st: string; reset: string }>(
          "select current_setting('statement_timeout') as st, (select reset_val from pg_settings where name = 'statement_timeout') as reset",
        );
        expect(rows[0]).toEqual({ st: '200ms', reset: '0' });
      } finally {
        await db.close();
      }
    });
  }
});
