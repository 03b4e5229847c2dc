// Secondary indexes are dropped before the load and rebuilt after it: building an index
// once is many times cheaper than maintaining it row by row (a 100k-row contacts chunk
// costs ~1.5 s without them, ~25 s with them). Primary keys and constraint-backed indexes
// stay (foreign keys depend on them). Definitions are kept in seed_index_backup until the
// rebuild succeeds, so a crashed seed loses no index: the next run restores every
// definition it finds there.
import type pg from 'pg';
import { type Job, runJobs } from './runner';

export interface IndexDef {
  name: string;
  table: string;
  def: string;
}

const BACKUP = 'seed_index_backup';

/** Saves and drops every non-constraint index on `tables`; returns the saved definitions. */
export async function dropSecondaryIndexes(client: pg.Client, tables: string[]): Promise<IndexDef[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${BACKUP} (name text PRIMARY KEY, tbl text NOT NULL, def text NOT NULL)`);
  await client.query(
    `INSERT INTO ${BACKUP} (name, tbl, def)
     SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), t.relname, pg_get_indexdef(i.indexrelid)
     FROM pg_index i
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema() AND t.relname = ANY($1)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
     ON CONFLICT (name) DO UPDATE SET tbl = excluded.tbl, def = excluded.def`,
    [tables],
  );
  const { rows } = await client.query<IndexDef>(`SELECT name, tbl AS table, def FROM ${BACKUP} ORDER BY name`);
  for (const ix of rows) await client.query(`DROP INDEX IF EXISTS ${ix.name}`);
  return rows;
}

/** Rough build cost: trigram GIN is by far the most expensive, then other GIN, then btree. */
function buildCost(ix: IndexDef, rows: Map<string, number>): number {
  const n = rows.get(ix.table) ?? 1000;
  if (/gin_trgm_ops/.test(ix.def)) return n * 8;
  if (/USING gin/i.test(ix.def)) return n * 20;
  const columns = ix.def.slice(ix.def.indexOf('(')).split(',').length;
  return n * (1 + 0.25 * columns);
}

/**
 * Memory per build. Small is much cheaper in CPU here (sorted runs and GIN's accumulator
 * stay cache-sized), measured at 3M contacts on an idle 2-core box: the contacts tsvector
 * GIN takes 62-66 s with 8-32 MB and 159 s with 1 GB; a 6M-row activities btree 9 s
 * with 8 MB, 12.6 s with 16 MB and 15.6 s with 256 MB.
 */
function memoryFor(ix: IndexDef): string {
  return /USING gin/i.test(ix.def) ? '16MB' : '8MB';
}

/**
 * Rebuilds the saved indexes on all worker connections, most expensive first, so the
 * long GIN builds overlap the many short btree builds. Builds are serial (no parallel
 * maintenance workers): one build per connection already keeps every core busy.
 */
export async function rebuildIndexes(clients: pg.Client[], defs: IndexDef[], rows: Map<string, number>): Promise<void> {
  const jobs: Job[] = defs.map((ix) => ({
    label: `index ${ix.name}`,
    statements: [
      { table: ix.table, sql: `SET maintenance_work_mem = '${memoryFor(ix)}'` },
      { table: ix.table, sql: ix.def },
    ],
    weight: buildCost(ix, rows),
  }));
  await runJobs(clients, jobs);
  await clients[0].query(`DROP TABLE ${BACKUP}`);
}
