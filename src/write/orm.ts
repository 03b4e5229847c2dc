import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { type PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import type { Db } from '../db/client';
import * as schema from '../db/schema/all';

/**
 * Drizzle's query builder over the request's own connection: the proxy driver hands each
 * statement to `Db.query` (rows as arrays, which Drizzle maps by position), so typed inserts
 * and updates share the connection, the pipelining and the error mapping of every read, and a
 * transaction is simply `begin … commit` on that connection (tx.ts).
 */
export type Orm = PgRemoteDatabase;

export function orm(db: Db): Orm {
  return drizzle(async (text, params, method) => {
    const { rows } = await db.query(text, params, method === 'all' ? { rowMode: 'array' } : {});
    return { rows };
  });
}

/** Every Drizzle table by its SQL name: resources name their table, writes need its columns. */
const TABLES = new Map<string, PgTable>();
for (const value of Object.values(schema) as unknown[]) {
  if (is(value, PgTable)) TABLES.set(getTableName(value), value);
}

/** A table's Drizzle column by its SQL name. */
export function columnOf(table: PgTable, name: string): PgColumn {
  const c = Object.values(getTableColumns(table)).find((x) => x.name === name);
  if (!c) throw new Error(`${getTableName(table)} has no column ${name}`);
  return c;
}

export function tableOf(name: string): PgTable {
  const table = TABLES.get(name);
  if (!table) throw new Error(`no Drizzle table named "${name}" in src/db/schema`);
  return table;
}
