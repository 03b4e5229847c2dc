import os from 'node:os';
import pg from 'pg';
import { databaseUrl, NO_STATEMENT_TIMEOUT, withDatabase } from '../../scripts/lib/config';
import { answers, ensurePostgres, migrateDatabase } from '../../scripts/lib/postgres';
import { ensureSeeded, seededWith } from '../../scripts/lib/seed/index';
import { onCleanup } from './cleanup';
import type { DatasetFacts } from './context';
import { reserveHugePages } from './hugepages';

export interface BenchDatabase {
  url: string;
  /** `show shared_buffers` of the server actually used (it may have been started by someone else). */
  sharedBuffers: string;
  /** `show huge_pages_status`: whether its shared memory sits in 2 MB pages. */
  hugePages: string;
  postgresVersion: string;
  startedHere: boolean;
  /** How the role's password is stored (md5 or SCRAM): what a new direct connection pays for. */
  passwordHash: string;
}

async function passwordHash(c: pg.Client): Promise<string> {
  try {
    const { rows } = await c.query<{ h: string }>(
      `select case when rolpassword like 'SCRAM-SHA-256$%' then 'SCRAM-SHA-256' when rolpassword like 'md5%' then 'md5' else 'none' end as h
         from pg_authid where rolname = current_user`,
    );
    return rows[0]?.h ?? 'unknown';
  } catch {
    return 'unknown'; // pg_authid is for superusers only
  }
}

/**
 * shared_buffers for a server the bench starts: 4 GB holds the 3M dataset (BENCH.md: 128 MB
 * leaves most of it on disk), capped at a quarter of the RAM of smaller boxes; a --quick
 * dataset fits in ensurePostgres's default. CRM_PG_SHARED_BUFFERS still wins.
 */
function sharedBuffersFor(quick: boolean): string | undefined {
  if (quick) return undefined;
  const quarterMb = Math.floor(os.totalmem() / 4 / 2 ** 20);
  return quarterMb >= 4096 ? '4GB' : `${quarterMb}MB`;
}

/**
 * Postgres with memory for the dataset. A server already running keeps its settings; we
 * read and report them instead of restarting someone else's server.
 */
export async function startDatabase(database: string, quick: boolean, log: (m: string) => void): Promise<BenchDatabase> {
  const sharedBuffers = sharedBuffersFor(quick);
  if (sharedBuffers) process.env.CRM_PG_SHARED_BUFFERS ??= sharedBuffers;
  const ours = !process.env.DATABASE_URL && !(await answers(databaseUrl()));
  if (ours && process.env.CRM_PG_SHARED_BUFFERS && !process.env.CRM_PG_HUGE_PAGES) {
    process.env.CRM_PG_HUGE_PAGES = reserveHugePages(process.env.CRM_PG_SHARED_BUFFERS, log);
  }
  const server = await ensurePostgres();
  if (server.startedHere) onCleanup('embedded postgres', () => server.stop());
  const url = withDatabase(server.url, database);
  const c = new pg.Client({ connectionString: withDatabase(server.url, 'postgres'), ...NO_STATEMENT_TIMEOUT });
  await c.connect();
  try {
    const sb = (await c.query<{ shared_buffers: string }>('show shared_buffers')).rows[0].shared_buffers;
    const v = (await c.query<{ server_version: string }>('show server_version')).rows[0].server_version;
    const hp = (await c.query<{ huge_pages_status: string }>('show huge_pages_status').catch(() => ({ rows: [{ huge_pages_status: 'unknown' }] }))).rows[0]
      .huge_pages_status;
    log(`Postgres ${v} (${server.startedHere ? 'started by the bench' : 'already running'}), shared_buffers ${sb}, huge pages ${hp}`);
    return { url, sharedBuffers: sb, hugePages: hp, postgresVersion: v.split(' ')[0], startedHere: server.startedHere, passwordHash: await passwordHash(c) };
  } finally {
    await c.end();
  }
}

/** Migrates, then reuses the dataset when its parameters match or seeds it (minutes at 3M). */
export async function ensureDataset(url: string, params: { contacts: number; orgs: number; seed: number }, log: (m: string) => void): Promise<void> {
  await migrateDatabase(url);
  const current = await seededWith(url).catch(() => null);
  const same = current && current.contacts === params.contacts && current.orgs === params.orgs && current.seed === params.seed;
  log(
    same
      ? `reusing the dataset in ${new URL(url).pathname.slice(1)}`
      : `seeding ${params.contacts.toLocaleString('en')} contacts in ${params.orgs} orgs (seed ${params.seed})…`,
  );
  await ensureSeeded(url, { ...params, log: (m: string) => log(`seed: ${m}`) });
}

/** Facts stated with every result: the live row counts, not the requested ones, and the size to hold in memory. */
export async function datasetFacts(client: pg.Client, slug: string): Promise<DatasetFacts & { largestSlug: string; databaseSize: string }> {
  const { rows } = await client.query<{ contacts: string; orgs: string; slug: string; largest: string; size: string }>(
    `with per_org as (select org_id, count(*) as n from contacts where deleted_at is null group by org_id)
     select (select count(*) from contacts) as contacts, (select count(*) from orgs) as orgs,
            o.slug, coalesce(p.n, 0) as largest, pg_size_pretty(pg_database_size(current_database())) as size
       from orgs o left join per_org p on p.org_id = o.id
      order by coalesce(p.n, 0) desc, o.slug = $1 desc limit 1`,
    [slug],
  );
  const r = rows[0];
  return { contacts: Number(r.contacts), orgs: Number(r.orgs), largest_org_contacts: Number(r.largest), largestSlug: r.slug, databaseSize: r.size };
}
