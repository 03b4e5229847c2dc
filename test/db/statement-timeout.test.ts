import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { sql } from '../support/sql';

// The statement timeout is the database's default (migrations/0011_statement_timeout.sql), so it
// holds on every server session: through PgBouncer in transaction mode (TEST_POOLER_URL, from
// test/global-setup.ts), where startup parameters are dropped and a session SET would leak,
// as directly. Nothing is sent for it per statement.

const MIGRATED = '10s';
const viaPooler = () => createDb({ ...env, HYPERDRIVE: { connectionString: env.TEST_POOLER_URL } } as never, () => {});

describe('statement timeout', () => {
  it("the migration set it as this database's default", async () => {
    const rows = await sql<{ setconfig: string[] }>(
      'select setconfig from pg_db_role_setting where setdatabase = (select oid from pg_database where datname = current_database()) and setrole = 0',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].setconfig).toContain(`statement_timeout=${MIGRATED}`);
  });

  it("every Worker session has it: through the pooler, directly, and over Neon's driver", async () => {
    const dbs = {
      pooler: viaPooler(),
      hyperdrive: createDb(env as never, () => {}),
      neon: createDb({ ...env, HYPERDRIVE: undefined, DATABASE_URL: env.TEST_DATABASE_URL, NEON_WS_PROXY: env.NEON_WS_PROXY } as never, () => {}),
    };
    try {
      for (const [which, db] of Object.entries(dbs)) {
        const { rows } = await db.query<{ statement_timeout: string }>('show statement_timeout');
        expect({ which, ...rows[0] }).toEqual({ which, statement_timeout: MIGRATED });
      }
    } finally {
      await Promise.all(Object.values(dbs).map((db) => db.close()));
    }
  });

  it("the project's own direct connections (fixtures here, migrations, seeding, the bench) opt out of it", async () => {
    expect(await sql('show statement_timeout')).toEqual([{ statement_timeout: '0' }]);
  });

  it('through PgBouncer in transaction mode, Postgres cuts off a longer statement: 422 query_too_expensive', async () => {
    // pg_sleep past the 10 s default: it takes the whole default, so this test takes ~10 s.
    const db = viaPooler();
    try {
      const started = Date.now();
      await expect(db.query('select pg_sleep(15)')).rejects.toMatchObject({ code: 'query_too_expensive', status: 422 });
      const elapsed = Date.now() - started;
      // Cut off by the 10 s default (57014), not by anything sooner or later.
      expect(elapsed).toBeGreaterThanOrEqual(9_900);
      expect(elapsed).toBeLessThan(14_000);
      // The pooled session goes on, still with the default (no SET leaked or needed).
      expect((await db.query('show statement_timeout')).rows).toEqual([{ statement_timeout: MIGRATED }]);
    } finally {
      await db.close();
    }
  });
});
