import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { timing } from 'hono/timing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client';
import type { AppContext } from '../../src/http/context';
import { services } from '../../src/http/services';
import { sql, withClient } from '../support/sql';

// The request's Db (src/db/client.ts) on both drivers, against a real server: pg in pipeline
// mode behind the Hyperdrive binding, Neon's serverless driver through the local WebSocket
// proxy. pg in Node-style use (test/support/sql.ts) is the reference for rows and errors.

const envs = {
  hyperdrive: () => env,
  neon: () => ({ ...env, HYPERDRIVE: undefined, DATABASE_URL: env.TEST_DATABASE_URL, NEON_WS_PROXY: env.NEON_WS_PROXY }),
} as const;
type Driver = keyof typeof envs;
const DRIVERS = Object.keys(envs) as Driver[];

const dbFor = (which: Driver): Db => createDb(envs[which]() as never, () => {});
const hyperdriveAt = (connectionString: string) => createDb({ ...env, HYPERDRIVE: { connectionString } } as never, () => {});

const base = new URL(env.HYPERDRIVE.connectionString);
function urlAs(user: string, password: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = password;
  return u.toString();
}

const ROLES = { md5: 'crm_client_md5', scram: 'crm_client_scram' } as const;
const PASSWORD = "client-pw-'ü\\";

/** Statements now running in Postgres whose text carries `marker` (the asking session excluded). */
async function running(marker: string): Promise<number> {
  const rows = await sql<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and query like $1",
    [`%${marker}%`],
  );
  return rows[0].n;
}
const marked = (label: string) => `${label}_${crypto.randomUUID().replaceAll('-', '')}`;

beforeAll(async () => {
  await withClient(async (c) => {
    // The server's hba says md5: a password stored as md5 logs in with md5, one stored as
    // SCRAM logs in with SCRAM (Postgres picks the stronger method the stored hash allows).
    for (const role of Object.values(ROLES)) {
      await c.query(`set password_encryption = '${role === ROLES.md5 ? 'md5' : 'scram-sha-256'}'`);
      const exists = (await c.query('select 1 from pg_roles where rolname = $1', [role])).rowCount;
      await c.query(`${exists ? 'alter' : 'create'} role ${role} login password ${c.escapeLiteral(PASSWORD)}`);
    }
    await c.query('create table if not exists db_client_probe (note text)');
    await c.query(`grant insert, select on db_client_probe to ${ROLES.md5}, ${ROLES.scram}`);
  });
});

describe('Db: logins', () => {
  for (const [method, role] of Object.entries(ROLES)) {
    it(`hyperdrive: logs in with a password stored as ${method}`, async () => {
      const stored = await sql<{ hash: string }>('select rolpassword as hash from pg_authid where rolname = $1', [role]);
      expect(stored[0].hash.startsWith(method === 'md5' ? 'md5' : 'SCRAM-SHA-256$')).toBe(true);
      const db = hyperdriveAt(urlAs(role, PASSWORD));
      try {
        const [who, n] = await Promise.all([db.query('select current_user as who'), db.query('select $1::int + 1 as n', [41])]);
        expect(who.rows).toEqual([{ who: role }]);
        expect(n.rows).toEqual([{ n: 42 }]);
        expect(db.stats.connectMs).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    });
  }

  it('hyperdrive: a wrong password is a 503, and the statement never runs', async () => {
    const note = `wrong-pw-${crypto.randomUUID()}`;
    const db = hyperdriveAt(urlAs(ROLES.md5, 'not-the-password'));
    await expect(db.query('insert into db_client_probe (note) values ($1)', [note])).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    await db.close();
    expect(await sql('select 1 from db_client_probe where note = $1', [note])).toHaveLength(0);
  });
});

describe('Db: statements', () => {
  for (const which of DRIVERS) {
    it(`${which}: a result of many chunks arrives intact, then the next statement`, async () => {
      // 640 kB of text: many socket reads (and WebSocket frames for Neon) for one row.
      const db = dbFor(which);
      try {
        const { rows } = await db.query<{ s: string; h: string }>(
          `select s, md5(s) as h from (select string_agg(md5(i::text), '' order by i) as s from generate_series(1, 20000) i) t`,
        );
        expect(rows[0].s.length).toBe(640_000);
        const digest = new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(rows[0].s)));
        expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(rows[0].h);
        expect((await db.query<{ n: number }>('select $1::int + 1 as n', [41])).rows[0].n).toBe(42);
      } finally {
        await db.close();
      }
    });

    it(`${which}: the same rows as pg for every type the API reads`, async () => {
      const text = `select 1::int2 as i2, 2147483647::int4 as i4, 9007199254740993::int8 as i8, 1.50::numeric(6,2) as num,
          1.5::float8 as f8, true as yes, null::text as nothing, 'ü''"\\'::text as txt,
          '00000000-0000-0000-0000-000000000001'::uuid as id, '{"a":[1,{"b":null}]}'::jsonb as doc, '[1,2]'::json as js,
          array['x', null, 'y,z']::text[] as arr, array[1,2]::int[] as ints, '2025-01-02T03:04:05.678Z'::timestamptz as ts,
          '2025-01-02'::date::text as day, '\\x00ff'::bytea as bin, $1::text as p1, $2::int as p2, $3::text[] as p3,
          $4::jsonb as p4, $5::boolean as p5, $6::timestamptz as p6, $7::text as p7`;
      const values = ["it's \u{1F600}", 7, ['a', "b'c", null], { k: ['v'] }, false, new Date('2025-05-06T07:08:09.010Z'), null];
      const db = dbFor(which);
      try {
        const { rows } = await db.query(text, values);
        expect(rows).toEqual(await sql(text, values));
        expect(rows[0]).toMatchObject({ i8: '9007199254740993', num: '1.50', doc: { a: [1, { b: null }] }, arr: ['x', null, 'y,z'], p3: ['a', "b'c", null] });
      } finally {
        await db.close();
      }
    });

    it(`${which}: statements issued together run on one connection, answers in order; an error fails its own statement only`, async () => {
      const db = dbFor(which);
      try {
        const results = await Promise.allSettled([
          db.query<{ pid: number; a: number }>('select pg_backend_pid() as pid, 1 as a'),
          db.query("select 'x'::int"),
          db.query('select 1 / 0'),
          db.query<{ pid: number; c: number }>('select pg_backend_pid() as pid, 3 as c'),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
        const first = (results[0] as PromiseFulfilledResult<{ rows: Array<{ pid: number; a: number }> }>).value.rows[0];
        const last = (results[3] as PromiseFulfilledResult<{ rows: Array<{ pid: number; c: number }> }>).value.rows[0];
        expect(first.a).toBe(1);
        expect(last).toEqual({ pid: first.pid, c: 3 });
        // Mapped by fromDatabaseError: a malformed value is the caller's 400 …
        expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_query', status: 400 });
        // … and what it does not know stays the driver's error, SQLSTATE and all (a 500 upstream).
        // A data exception (class 22) is the caller's: mapped to a 400, the driver's error kept as its cause.
        expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_query', status: 400, cause: { code: '22012' } });
        expect(db.stats.queries).toBe(4);
        expect(db.stats.maxInFlight).toBe(4);
      } finally {
        await db.close();
      }
    });

    it(`${which}: a connection the server drops is a 503 for the statement in flight and every later one`, async () => {
      const db = dbFor(which);
      try {
        await db.query('select 1');
        await expect(db.query('select pg_terminate_backend(pg_backend_pid())')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
        await expect(db.query('select 1')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
      } finally {
        await db.close();
      }
    });

    it(`${which}: close() ends the server session`, async () => {
      const db = dbFor(which);
      const { rows } = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(await sql('select 1 from pg_stat_activity where pid = $1', [rows[0].pid])).toHaveLength(1);
      await db.close();
      await expect.poll(async () => (await sql('select 1 from pg_stat_activity where pid = $1', [rows[0].pid])).length, { timeout: 5000 }).toBe(0);
    });
  }

  it('through PgBouncer in transaction mode, the pipelined statements of concurrent requests never mix', async () => {
    // PgBouncer hands the server connection to another client at a ReadyForQuery when it has
    // seen no further Sync from this one: a statement whose messages arrived in pieces
    // (Parse … then Sync) around the previous statement's ReadyForQuery was split across two
    // server connections ('portal "" does not exist', or another client's rows). Each
    // statement's messages must leave in one write.
    const requests = 5;
    const rounds = 60;
    const dbs = Array.from({ length: requests }, () => createDb({ ...env, HYPERDRIVE: { connectionString: env.TEST_POOLER_URL } } as never, () => {}));
    try {
      const wrong = await Promise.all(
        dbs.map(async (db, r) => {
          const mixed: string[] = [];
          for (let i = 0; i < rounds; i++) {
            const tags = [`${r}:${i}:page`, `${r}:${i}:count`, `${r}:${i}:more`];
            const answers = await Promise.allSettled(tags.map((tag) => db.query<{ tag: string }>('select $1::text as tag', [tag])));
            answers.forEach((a, k) => {
              const got = a.status === 'fulfilled' ? a.value.rows?.[0]?.tag : `error ${String(a.reason?.message ?? a.reason)}`;
              if (got !== tags[k]) mixed.push(`${tags[k]} got ${got}`);
            });
          }
          return mixed;
        }),
      );
      expect(wrong.flat()).toEqual([]);
      expect(dbs.map((db) => db.stats.queries)).toEqual(Array(requests).fill(rounds * 3));
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  for (const which of DRIVERS) {
    it(`${which}: close() right after prewarm(), with no statement, leaves no server session behind`, async () => {
      // The auth middleware prewarms; a request refused by validation then closes during the login.
      const name = marked('prewarm');
      const withName = (url: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`;
      const base = envs[which]();
      const db = createDb(
        (which === 'neon'
          ? { ...base, DATABASE_URL: withName(env.TEST_DATABASE_URL) }
          : { ...base, HYPERDRIVE: { connectionString: withName(env.HYPERDRIVE.connectionString) } }) as never,
        () => {},
      );
      db.prewarm();
      await db.close();
      // A session left open would have logged in by now, and stay.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const sessions = () => sql<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [name]).then((r) => r[0].n);
      await expect.poll(sessions, { timeout: 5000 }).toBe(0);
    });
  }

  it('hyperdrive: pipelined statements overlap, so the db time counts the overlap once', async () => {
    const db = dbFor('hyperdrive');
    try {
      await db.query('select 1'); // the login, out of the way
      const before = db.stats.ms;
      const started = performance.now();
      await Promise.all([db.query('select pg_sleep(0.2)'), db.query('select pg_sleep(0.2)')]);
      const wall = performance.now() - started;
      // The server runs them one after the other (0.4 s); counted once, not 0.2 + 0.4.
      expect(db.stats.ms - before).toBeGreaterThanOrEqual(390);
      expect(db.stats.ms - before).toBeLessThanOrEqual(wall + 1);
      expect(db.stats.maxInFlight).toBe(2);
    } finally {
      await db.close();
    }
  });
});

describe('Db: cancel', () => {
  for (const which of DRIVERS) {
    it(`${which}: cancel() stops the running statement and the one pipelined behind it`, async () => {
      const marker = marked('cancel');
      const db = dbFor(which);
      try {
        const slow = db.query(`select pg_sleep(30) /* ${marker} */`);
        const behind = db.query(`select pg_sleep(30) /* ${marker} */`);
        const outcomes = Promise.allSettled([slow, behind]);
        await expect.poll(() => running(marker), { timeout: 5000 }).toBe(1);
        const started = Date.now();
        await db.cancel();
        const [first, second] = await outcomes;
        expect(Date.now() - started).toBeLessThan(5000);
        // SQLSTATE 57014 (canceling statement due to user request) → the public mapping.
        expect(first).toMatchObject({ status: 'rejected', reason: { code: 'query_too_expensive' } });
        expect(second).toMatchObject({ status: 'rejected', reason: { code: 'query_too_expensive' } });
        expect(await running(marker)).toBe(0);
        // The connection goes on.
        expect((await db.query<{ ok: number }>('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await db.close();
      }
    });
  }

  it('hyperdrive: cancel() with nothing running sends nothing and changes nothing', async () => {
    const db = dbFor('hyperdrive');
    try {
      await db.cancel(); // before any connection
      const { rows } = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      await db.cancel(); // idle connection
      expect((await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows).toEqual(rows);
      expect(db.stats.queries).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('hyperdrive: close() with a statement in flight cancels it instead of waiting for it', async () => {
    const marker = marked('close');
    const db = dbFor('hyperdrive');
    const slow = db.query(`select pg_sleep(30) /* ${marker} */`).then(
      () => 'finished',
      (err: { code?: string }) => err.code,
    );
    await expect.poll(() => running(marker), { timeout: 5000 }).toBe(1);
    const started = Date.now();
    await db.close();
    expect(await slow).toBe('query_too_expensive');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await running(marker)).toBe(0);
  });

  it('a request whose client goes away has its running statement cancelled (services middleware, Request.signal)', async () => {
    const marker = marked('abort');
    const app = new Hono<AppContext>();
    app.use(timing(), requestId(), services());
    app.get('/slow', async (c) => {
      await c.var.services.db.query(`select pg_sleep(30) /* ${marker} */`);
      return c.text('finished');
    });
    app.onError((err, c) => c.text(String((err as { code?: string }).code), 500));
    const client = new AbortController();
    const ctx = createExecutionContext();
    const response = app.fetch(new Request('http://localhost/slow', { signal: client.signal }), env, ctx);
    await expect.poll(() => running(marker), { timeout: 5000 }).toBe(1);
    const started = Date.now();
    client.abort();
    await expect.poll(() => running(marker), { timeout: 5000 }).toBe(0);
    const res = await response;
    expect(await res.text()).toBe('query_too_expensive');
    await waitOnExecutionContext(ctx);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
