// Integrity checks for a seeded database. The load skips FK triggers, so this proves
// after the fact what the triggers would have checked, plus invariants the schema cannot
// express (tenant consistency across references, stage/status agreement, time order).
import pg from 'pg';
import { FIELD_VALUE_COLUMNS } from '../../../src/db/schema/field-values';
import { NO_STATEMENT_TIMEOUT } from '../config';

export interface VerifyReport {
  ok: boolean;
  lines: string[];
}

interface Check {
  name: string;
  /** SQL returning one row with a bigint column `bad`. */
  sql: string;
}

async function foreignKeyChecks(client: pg.Client): Promise<Check[]> {
  const { rows } = await client.query<{ name: string; child: string; parent: string; cols: string[]; refs: string[] }>(
    `SELECT k.conname AS name, k.conrelid::regclass::text AS child, k.confrelid::regclass::text AS parent,
       array(SELECT quote_ident(attname) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY o) AS cols,
       array(SELECT quote_ident(attname) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY o) AS refs
     FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
     WHERE k.contype = 'f' AND n.nspname = current_schema() ORDER BY 1`,
  );
  return rows.map((fk) => ({
    name: `fk ${fk.name}`,
    sql: `SELECT count(*) AS bad FROM ${fk.child} c WHERE ${fk.cols.map((c) => `c.${c} IS NOT NULL`).join(' AND ')}
      AND NOT EXISTS (SELECT 1 FROM ${fk.parent} p WHERE ${fk.cols.map((c, i) => `p.${fk.refs[i]} = c.${c}`).join(' AND ')})`,
  }));
}

/** References must stay inside the referencing row's org. */
const SAME_ORG: [table: string, column: string, parent: string][] = [
  ['contacts', 'owner_id', 'users'],
  ['contacts', 'primary_company_id', 'companies'],
  ['contacts', 'address_id', 'addresses'],
  ['deals', 'contact_id', 'contacts'],
  ['deals', 'stage_id', 'pipeline_stages'],
  ['deals', 'owner_id', 'users'],
  ['activities', 'contact_id', 'contacts'],
  ['activities', 'deal_id', 'deals'],
  ['activities', 'owner_id', 'users'],
  ['customer_relationships', 'contact_id', 'contacts'],
  ['contact_tags', 'tag_id', 'tags'],
  ['users', 'manager_id', 'users'],
  ['users', 'team_id', 'teams'],
  ['leads', 'converted_contact_id', 'contacts'],
];

const INVARIANTS: Check[] = [
  ...SAME_ORG.map(([t, col, parent]) => ({
    name: `same org ${t}.${col}`,
    sql: `SELECT count(*) AS bad FROM ${t} c JOIN ${parent} p ON p.id = c.${col} WHERE p.org_id <> c.org_id`,
  })),
  {
    name: 'deal status matches stage',
    sql: `SELECT count(*) AS bad FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id
      WHERE d.pipeline_id <> s.pipeline_id OR d.probability <> s.probability
         OR d.status <> CASE WHEN s.is_won THEN 'won' WHEN s.is_lost THEN 'lost' ELSE 'open' END
         OR (d.closed_at IS NULL) <> (d.status = 'open')`,
  },
  {
    name: 'completed activities have completed_at',
    sql: `SELECT count(*) AS bad FROM activities
      WHERE (completed_at IS NOT NULL) <> (status = 'completed') OR completed_at < created_at`,
  },
  { name: 'relationship times ordered', sql: `SELECT count(*) AS bad FROM customer_relationships WHERE last_activity_at < created_at` },
  {
    name: 'one default pipeline per org',
    sql: `SELECT count(*) AS bad FROM orgs o
      WHERE (SELECT count(*) FROM pipelines p WHERE p.org_id = o.id AND p.is_default) <> 1`,
  },
  { name: 'contacts.updated_at >= created_at', sql: `SELECT count(*) AS bad FROM contacts WHERE updated_at < created_at OR deleted_at < updated_at` },
  ...Object.entries(FIELD_VALUE_COLUMNS).flatMap(([t, cols]) =>
    cols.map((col) => ({
      name: `field_values lists exactly the live ${t}.${col}`,
      sql: `WITH live AS (SELECT org_id, ${col} AS value FROM ${t} WHERE ${col} IS NOT NULL AND deleted_at IS NULL),
        listed AS (SELECT org_id, value FROM field_values WHERE field = '${t}.${col}')
        SELECT count(*) AS bad FROM ((SELECT * FROM live EXCEPT SELECT * FROM listed) UNION ALL (SELECT * FROM listed EXCEPT SELECT * FROM live)) d`,
    })),
  ),
  { name: 'deals.updated_at >= created_at', sql: `SELECT count(*) AS bad FROM deals WHERE updated_at < created_at` },
];

export async function verifyDataset(url: string): Promise<VerifyReport> {
  const client = new pg.Client({ connectionString: url, ...NO_STATEMENT_TIMEOUT });
  client.on('error', () => {});
  await client.connect();
  const lines: string[] = [];
  let ok = true;
  try {
    await client.query("SET work_mem = '256MB'");
    for (const check of [...(await foreignKeyChecks(client)), ...INVARIANTS]) {
      const bad = Number((await client.query<{ bad: string }>(check.sql)).rows[0].bad);
      ok &&= bad === 0;
      lines.push(`${bad === 0 ? 'ok  ' : 'FAIL'} ${check.name}${bad ? `: ${bad} rows` : ''}`);
    }
  } finally {
    await client.end().catch(() => {});
  }
  return { ok, lines };
}
