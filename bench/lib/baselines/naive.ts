import type pg from 'pg';

/**
 * One list request the way the seeds did it before their fixes: the page by OFFSET, a full
 * COUNT(*) of the filtered set on every page, then per row one query for the address and
 * one for the relationships (N+1), all sequential on one warm connection.
 */
export interface NaiveList {
  /** FROM clause with joins; contacts is `c`. */
  from: string;
  /** Conditions ANDed together; `$1` is the org id. */
  where: string[];
  values: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

export async function runNaiveList(client: pg.Client, q: NaiveList): Promise<number> {
  const where = q.where.join(' and ');
  const page = await client.query<{ id: string; address_id: string | null }>(
    `select c.* from ${q.from} where ${where} order by ${q.orderBy} limit ${q.limit} offset ${q.offset}`,
    q.values,
  );
  await client.query(`select count(*) from ${q.from} where ${where}`, q.values);
  for (const row of page.rows) {
    if (row.address_id) await client.query('select * from addresses where id = $1', [row.address_id]);
    await client.query('select * from customer_relationships where contact_id = $1 order by created_at', [row.id]);
  }
  return page.rows.length;
}

/**
 * A case-insensitive "contains" that no index can serve: `(col || '')` is an expression no
 * trigram index matches, so Postgres scans as it did before the trigram indexes existed
 * (switching index scans off would also hide the btree order indexes, which the seeds had).
 */
export function unindexedContains(column: string, placeholder: string): string {
  return `(${column} || '') ilike ${placeholder}`;
}

/** `%text%` with LIKE metacharacters escaped, as the API binds it. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}
