// Direct SQL against the test database from inside workerd: fixtures and expected values
// are computed independently of the code under test.
import { env } from 'cloudflare:test';
import pg from 'pg';

// Direct connections (never through the pooler), so they opt out of the database's default
// statement timeout (migrations/0011_statement_timeout.sql): a fixture or an EXPLAIN ANALYZE
// may take longer than the API's statements may.
export async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: env.HYPERDRIVE.connectionString, options: '-c statement_timeout=0' });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export function sql<T extends pg.QueryResultRow = Record<string, any>>(text: string, values: unknown[] = []): Promise<T[]> {
  return withClient(async (c) => (await c.query<T>(text, values)).rows);
}

/** EXPLAIN (FORMAT JSON) of a statement, flattened to the list of node types and index names. */
export interface Explained {
  nodes: string[];
  indexes: string[];
  /** Index reads as `{type, index}` (e.g. an Index Only Scan of one index), with actual rows under ANALYZE. */
  indexScans: Array<{ type: string; index: string; actualRows?: number }>;
  /** Relations read by a sequential scan. */
  seqScans: string[];
  /** Under ANALYZE: table rows read per relation (kept + removed by a filter, over all loops); index-only scans read none. */
  tableRows: Record<string, number>;
  plan: unknown;
}

/** `analyze: true` runs the statement (EXPLAIN ANALYZE), so scans report their actual rows. */
export async function explain(text: string, values: unknown[] = [], opts: { analyze?: boolean } = {}): Promise<Explained> {
  const rows = await sql<{ 'QUERY PLAN': any }>(`explain (${opts.analyze ? 'analyze, ' : ''}format json) ${text}`, values);
  const plan = rows[0]['QUERY PLAN'][0].Plan;
  const nodes: string[] = [];
  const indexes: string[] = [];
  const indexScans: Explained['indexScans'] = [];
  const seqScans: string[] = [];
  const tableRows: Record<string, number> = {};
  const walk = (n: any) => {
    if (opts.analyze && ['Seq Scan', 'Index Scan', 'Bitmap Heap Scan'].includes(n['Node Type'])) {
      const read = (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];
      tableRows[n['Relation Name']] = Math.round((tableRows[n['Relation Name']] ?? 0) + read);
    }
    nodes.push(n['Node Type']);
    if (n['Index Name']) {
      indexes.push(n['Index Name']);
      indexScans.push({ type: n['Node Type'], index: n['Index Name'], ...(opts.analyze ? { actualRows: n['Actual Rows'] } : {}) });
    }
    if (n['Node Type'] === 'Seq Scan') seqScans.push(n['Relation Name']);
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(plan);
  return { nodes, indexes, indexScans, seqScans, tableRows, plan };
}

/**
 * What a committed write does to the org's generations (src/write/generation.ts), for data changed
 * by SQL behind the API's back: the generation moves and `resource` is recorded as changed at it.
 * Returns the new generation, for a reader's X-Min-Generation.
 */
export async function raiseGeneration(orgId: string, resource: string): Promise<string> {
  const [row] = await sql<{ generation: string }>(
    `insert into org_generations (org_id, generation, changed) values ($1, 1, jsonb_build_object($2::text, 1))
     on conflict (org_id) do update set generation = org_generations.generation + 1,
       changed = org_generations.changed || jsonb_build_object($2::text, org_generations.generation + 1)
     returning generation::text`,
    [orgId, resource],
  );
  return row.generation;
}
