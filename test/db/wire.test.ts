import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { WireClient } from '../../src/db/wire';
import { LOGIN_ROLES } from '../support/login-roles';
import { sql, withClient } from '../support/sql';

// The Worker's own Postgres client (src/db/wire.ts): the first statement rides with the
// password. Checked here against a real server, and against pg (test/support/sql.ts) as
// the reference for what rows and errors look like.

const base = new URL(env.HYPERDRIVE.connectionString);
function urlAs(user: string, password: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = password;
  return u.toString();
}

const ROLES = { md5: 'crm_wire_md5', scram: 'crm_wire_scram' } as const;
const PASSWORD = "wire-pw-'ü\\";

beforeAll(async () => {
  await withClient(async (c) => {
    // The server's hba says md5: a password stored as md5 logs in with md5, one stored as
    // SCRAM logs in with SCRAM (Postgres picks the stronger method the stored hash allows).
    // cleartext and trust log in by their pg_hba lines, whatever the stored hash.
    const roles = [...Object.values(ROLES), ...Object.values(LOGIN_ROLES)];
    for (const role of roles) {
      await c.query(`set password_encryption = '${role === ROLES.md5 ? 'md5' : 'scram-sha-256'}'`);
      const exists = (await c.query('select 1 from pg_roles where rolname = $1', [role])).rowCount;
      await c.query(`${exists ? 'alter' : 'create'} role ${role} login password ${c.escapeLiteral(PASSWORD)}`);
    }
    await c.query('create table if not exists wire_probe (note text)');
    await c.query(`grant insert, select on wire_probe to ${ROLES.md5}, ${ROLES.scram}`);
  });
});

describe('wire client', () => {
  for (const [method, role] of Object.entries(ROLES)) {
    it(`${method}: logs in and sends the first statement with the password`, async () => {
      const stored = await sql<{ hash: string }>('select rolpassword as hash from pg_authid where rolname = $1', [role]);
      expect(stored[0].hash.startsWith(method === 'md5' ? 'md5' : 'SCRAM-SHA-256$')).toBe(true);
      const client = new WireClient({ connectionString: urlAs(role, PASSWORD) });
      try {
        const [first, second] = await Promise.all([client.query('select current_user as who, $1::int + 1 as n', [41]), client.query('select 2 as two')]);
        expect(first).toEqual([{ who: role, n: 42 }]);
        expect(second).toEqual([{ two: 2 }]);
        // Both were asked for before the server's ReadyForQuery: both went out with the login.
        expect(client.pipelined).toBe(2);
        expect(client.isReady).toBe(true);
        expect(client.connectMs).toBeGreaterThanOrEqual(0);
        // After the login, statements go out one write each, still in order.
        expect(await client.query('select 3 as three')).toEqual([{ three: 3 }]);
        expect(client.pipelined).toBe(2);
        expect(client.overlapped).toBe(0);
        // Asked for together after the login, the second goes out while the first still runs
        // (no wait for its ReadyForQuery: one round trip), and the answers keep their order.
        const [slow, fast] = await Promise.all([client.query('select pg_sleep(0.05) is null as slept'), client.query('select 4 as four')]);
        expect([slow, fast]).toEqual([[{ slept: false }], [{ four: 4 }]]);
        expect(client.overlapped).toBe(1);
      } finally {
        await client.end();
      }
    });
  }

  for (const [method, role] of Object.entries(LOGIN_ROLES)) {
    it(`${method}: logs in (pg_hba line from the global setup) and answers statements asked for during the login`, async (ctx) => {
      const rules = await sql('select 1 from pg_hba_file_rules where $1 = any(user_name) and auth_method = $2', [role, method === 'trust' ? 'trust' : 'password']);
      if (!rules.length) return ctx.skip('this server\'s pg_hba.conf is not ours to edit');
      const client = new WireClient({ connectionString: urlAs(role, method === 'trust' ? '' : PASSWORD) });
      try {
        const [a, b] = await Promise.all([client.query('select current_user as who'), client.query('select $1::text as t', ['ok'])]);
        expect([a, b]).toEqual([[{ who: role }], [{ t: 'ok' }]]);
        expect(client.pipelined).toBe(2);
      } finally {
        await client.end();
      }
    });
  }

  it('a wrong password fails the pipelined statement, which never runs; the Db makes it a 503', async () => {
    const note = `wrong-pw-${crypto.randomUUID()}`;
    const client = new WireClient({ connectionString: urlAs(ROLES.md5, 'not-the-password') });
    await expect(client.query('insert into wire_probe (note) values ($1)', [note])).rejects.toMatchObject({ code: '28P01' });
    expect(client.pipelined).toBe(1);
    await client.end();
    expect(await sql('select 1 from wire_probe where note = $1', [note])).toHaveLength(0);

    const db = createDb({ ...env, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: urlAs(ROLES.md5, 'nope') } } as never, () => {});
    await expect(db.query('insert into wire_probe (note) values ($1)', [note])).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    await db.close();
    expect(await sql('select 1 from wire_probe where note = $1', [note])).toHaveLength(0);
  });

  it('the same rows as pg for every type the API reads', async () => {
    const text = `select 1::int2 as i2, 2147483647::int4 as i4, 9007199254740993::int8 as i8, 1.50::numeric(6,2) as num,
        1.5::float8 as f8, true as yes, null::text as nothing, 'ü''"\\'::text as txt, gen_random_uuid() is not null as has_uuid,
        '00000000-0000-0000-0000-000000000001'::uuid as id, '{"a":[1,{"b":null}]}'::jsonb as doc, '[1,2]'::json as js,
        array['x', null, 'y,z']::text[] as arr, array[1,2]::int[] as ints, '2025-01-02T03:04:05.678Z'::timestamptz as ts,
        '2025-01-02'::date::text as day, '\\x00ff'::bytea as bin, $1::text as p1, $2::int as p2, $3::text[] as p3,
        $4::jsonb as p4, $5::boolean as p5, $6::timestamptz as p6, $7::text as p7`;
    const values = ["it's \u{1F600}", 7, ['a', "b'c", null], { k: ['v'] }, false, new Date('2025-05-06T07:08:09.010Z'), null];
    const client = new WireClient({ connectionString: env.HYPERDRIVE.connectionString });
    try {
      const ours = await client.query(text, values);
      const reference = await sql(text, values);
      expect(ours).toEqual(reference);
      expect(ours[0]).toMatchObject({ i8: '9007199254740993', num: '1.50', doc: { a: [1, { b: null }] }, arr: ['x', null, 'y,z'], p3: ['a', "b'c", null] });
    } finally {
      await client.end();
    }
  });

  it('an error fails its own statement only; the connection goes on', async () => {
    const client = new WireClient({ connectionString: env.HYPERDRIVE.connectionString });
    try {
      const results = await Promise.allSettled([client.query('select 1 as a'), client.query('select 1 / 0'), client.query('select 3 as c')]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22012', severity: 'ERROR' });
      expect((results[2] as PromiseFulfilledResult<unknown>).value).toEqual([{ c: 3 }]);
    } finally {
      await client.end();
    }
  });

  it('a connection the server drops fails the statement in flight and every later one, without hanging', async () => {
    const client = new WireClient({ connectionString: env.HYPERDRIVE.connectionString });
    await client.query('select 1');
    await expect(client.query('select pg_terminate_backend(pg_backend_pid())')).rejects.toMatchObject({ code: expect.stringMatching(/^(57P01|08006)$/) });
    await expect(client.query('select 1')).rejects.toMatchObject({ code: '08006' });
    await client.end();

    // Through the Db a dropped connection is the database being unavailable: 503, not 500.
    const db = createDb(env as never, () => {});
    await db.query('select 1');
    await expect(db.query('select pg_terminate_backend(pg_backend_pid())')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    await expect(db.query('select 1')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    await db.close();
  });

  it('a statement timeout is set inside each statement\'s own transaction, and its result is not the caller\'s', async () => {
    const client = new WireClient({ connectionString: env.HYPERDRIVE.connectionString, statementTimeoutMs: 150 });
    try {
      const [inside, slow, after] = await Promise.allSettled([
        client.query("select current_setting('statement_timeout') as st, 1 as n"),
        client.query('select pg_sleep(1)'),
        client.query("select current_setting('statement_timeout') as st"),
      ]);
      expect(inside).toEqual({ status: 'fulfilled', value: [{ st: '150ms', n: 1 }] });
      expect(slow).toMatchObject({ status: 'rejected', reason: { code: '57014' } });
      expect(after).toEqual({ status: 'fulfilled', value: [{ st: '150ms' }] });
    } finally {
      await client.end();
    }
    // Without the option nothing is set: the server's default stays.
    const plain = new WireClient({ connectionString: env.HYPERDRIVE.connectionString });
    try {
      expect(await plain.query("select current_setting('statement_timeout') as st")).toEqual([{ st: '0' }]);
    } finally {
      await plain.end();
    }
  });

  it('after end(), statements are refused', async () => {
    const client = new WireClient({ connectionString: env.HYPERDRIVE.connectionString });
    await client.query('select 1');
    await client.end();
    await expect(client.query('select 1')).rejects.toMatchObject({ code: '08006' });
  });
});
