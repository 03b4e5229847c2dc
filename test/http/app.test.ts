import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { createOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// The routes here read Postgres; those that answer without it are in app.unit.test.ts.
describe('every response', () => {
  let token: string;
  beforeAll(async () => {
    token = await tokenFor((await createOrg()).users.admin);
  });

  it('carries X-Request-Id and Server-Timing with total', async () => {
    for (const path of ['/empty', '/healthz', '/nope', '/api/v1/appusers/']) {
      const res = await get(path);
      expect(res.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('server-timing'), path).toMatch(/total;dur=/);
    }
  });

  it('reports database time in Server-Timing when the route touched Postgres', async () => {
    await get('/healthz?deep=1', { token }); // the caller's lookup, remembered for the next request
    const res = await get('/healthz?deep=1', { token });
    expect(res.headers.get('server-timing')).toMatch(/db;dur=[\d.]+;desc="1 queries"/);
    expect(res.headers.get('server-timing')).toMatch(/db-connect;dur=[\d.]+;desc="opening the connection"/);
    expect((await get('/empty')).headers.get('server-timing')).not.toMatch(/db;/);
  });
});

describe('system routes', () => {
  it('GET /healthz?deep=1 with a token says Postgres answers', async () => {
    const token = await tokenFor((await createOrg()).users.member);
    const res = await get('/healthz?deep=1', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', db: { ok: true, driver: 'hyperdrive' } });
  });

  it('GET /healthz opens no database connection', async () => {
    // A database of its own, so the sessions Postgres counts on it are this test's alone.
    const name = `healthz_probe_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await sql(`create database ${name}`);
    try {
      const url = new URL(env.HYPERDRIVE.connectionString);
      url.pathname = `/${name}`;
      const probeEnv = { ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: url.toString() } };
      for (let i = 0; i < 3; i++) {
        const ctx = createExecutionContext();
        const res = await worker.fetch(new Request('http://localhost/healthz'), probeEnv as never, ctx);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: 'ok' });
        expect(res.headers.get('server-timing')).not.toMatch(/db(-connect)?;/);
        await waitOnExecutionContext(ctx); // the connection, had one been opened, is closed by now
      }
      // One session of our own, so the count is known to count: it must be the only one.
      const own = new pg.Client({ connectionString: url.toString() });
      own.on('error', () => {});
      await own.connect();
      await own.query('select 1');
      await own.end();
      const sessions = async () => (await sql<{ n: number }>('select sessions::int as n from pg_stat_database where datname = $1', [name]))[0]?.n ?? 0;
      for (let tries = 0; tries < 50 && (await sessions()) < 1; tries++) await new Promise((r) => setTimeout(r, 100));
      expect(await sessions()).toBe(1);
    } finally {
      await sql(`drop database if exists ${name} with (force)`);
    }
  });
});
