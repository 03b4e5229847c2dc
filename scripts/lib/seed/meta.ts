// Which dataset a database holds. The row is deleted when a seed starts and written when
// it finishes, so an interrupted seed never looks complete.
import type pg from 'pg';
import { SEED_VERSION, type SeedParams } from './plan';

const META_DDL = `CREATE TABLE IF NOT EXISTS seed_meta (
  id int PRIMARY KEY DEFAULT 1, params jsonb NOT NULL, finished_at timestamptz NOT NULL)`;

/** Serialises seeds of one database across processes (dev server, tests, bench). */
const LOCK_KEY = "hashtext('crm-seed')";

export async function ensureMetaTable(client: pg.Client): Promise<void> {
  await client.query(META_DDL);
}

export async function clearMeta(client: pg.Client): Promise<void> {
  await client.query('DELETE FROM seed_meta');
}

export async function writeMeta(client: pg.Client, params: SeedParams, extra: object): Promise<void> {
  await client.query(
    `INSERT INTO seed_meta (id, params, finished_at) VALUES (1, $1, now())
     ON CONFLICT (id) DO UPDATE SET params = excluded.params, finished_at = excluded.finished_at`,
    [JSON.stringify({ ...extra, contacts: params.contacts, orgs: params.orgs, seed: params.seed, version: SEED_VERSION })],
  );
}

/** Parameters of the last complete seed by this generator version, or null. */
export async function readMeta(client: pg.Client): Promise<SeedParams | null> {
  const exists = await client.query(`SELECT to_regclass('seed_meta') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return null;
  const { rows } = await client.query<{ params: Record<string, number> }>('SELECT params FROM seed_meta WHERE id = 1');
  const p = rows[0]?.params;
  if (!p || p.version !== SEED_VERSION) return null;
  return { contacts: p.contacts, orgs: p.orgs, seed: p.seed };
}

export async function withSeedLock<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
  try {
    return await fn();
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => {});
  }
}

export function sameParams(a: SeedParams | null, b: SeedParams): boolean {
  return !!a && a.contacts === b.contacts && a.orgs === b.orgs && a.seed === b.seed;
}
