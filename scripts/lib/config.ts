import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Port of the embedded Postgres (ignored when DATABASE_URL is set). */
export const PG_PORT = Number(process.env.CRM_PG_PORT ?? 54329);
export const PG_DATA_DIR = process.env.CRM_PG_DATA_DIR ?? path.join(ROOT, '.data', 'pg');
export const PG_USER = 'postgres';
export const PG_PASSWORD = 'postgres';

/** The connection string every script uses: DATABASE_URL wins, else the embedded server's `db`. */
export function databaseUrl(db = process.env.CRM_DB_NAME ?? 'crm'): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  return `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${db}`;
}

/** The same server, another database (maintenance db, test db). */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * pg connection options for the project's own long Node-side work (migrations, seeding,
 * index builds, the bench's direct connections): the session opts out of the database's
 * default statement timeout (migrations/0011_statement_timeout.sql), which is there for the
 * API's statements. A startup option, so direct connections only: transaction-mode poolers
 * drop or refuse it.
 */
export const NO_STATEMENT_TIMEOUT = { options: '-c statement_timeout=0' } as const;

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Tiny `--flag value` parser for the scripts (numbers stay strings until asked). */
export function parseArgs(argv = process.argv.slice(2)): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) out[k] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}
