// What the field_values triggers (migrations 0007–0008) add to writes on the bench dataset:
// time spent inside them per statement (EXPLAIN ANALYZE's Triggers section) against the whole
// statement, p50 over statements each rolled back, on one connection (the generated trigger
// functions plan once per connection). `npm run bench:writes [-- --quick]`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { cleanupAll, installSignalHandlers } from './lib/cleanup';
import { ensureDataset, startDatabase } from './lib/dataset';
import { quantile } from './lib/interval';
import { parseOptions } from './lib/options';

const log = (m: string) => process.stderr.write(`[bench:writes] ${m}\n`);
type Case = { label: string; runs: number; statement: (org: string, ids: string[], i: number) => [string, unknown[]] };
const oneRow = 200;
const bulk = 3;
const someRows = `select id from contacts where org_id = $1 and deleted_at is null order by id limit 10000`;
const CASES: Case[] = [
  { label: 'update 1 row, another column', runs: oneRow, statement: (_, ids, i) => [`update contacts set phone = '+1 555' where id = $1`, [ids[i]]] },
  { label: 'update 1 row, rename', runs: oneRow, statement: (_, ids, i) => [`update contacts set last_name = last_name || 'q' where id = $1`, [ids[i]]] },
  {
    label: 'insert 1 row, a common name',
    runs: oneRow,
    statement: (org) => [`insert into contacts (org_id, first_name, last_name) values ($1, 'Anna', 'Smith')`, [org]],
  },
  { label: 'delete 1 row', runs: oneRow, statement: (_, ids, i) => [`delete from contacts where id = $1`, [ids[i]]] },
  {
    label: 'insert 10k rows (the org’s names)',
    runs: bulk,
    statement: (org) => [
      `insert into contacts (org_id, first_name, last_name) select org_id, first_name, last_name from contacts where org_id = $1 and deleted_at is null limit 10000`,
      [org],
    ],
  },
  { label: 'update 10k rows, another column', runs: bulk, statement: (org) => [`update contacts set phone = '+1 555' where id in (${someRows})`, [org]] },
  { label: 'update 10k rows, rename', runs: bulk, statement: (org) => [`update contacts set last_name = last_name || 'q' where id in (${someRows})`, [org]] },
  { label: 'delete 10k rows', runs: bulk, statement: (org) => [`delete from contacts where id in (${someRows})`, [org]] },
];

const p50 = (xs: number[]) => quantile(xs, 0.5);

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  installSignalHandlers();
  try {
    const db = await startDatabase(opts.database, opts.quick, log);
    await ensureDataset(db.url, { contacts: opts.contacts, orgs: opts.orgs, seed: opts.seed }, log);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const org = (await c.query<{ org_id: string }>(`select org_id from contacts group by 1 order by count(*) desc limit 1`)).rows[0].org_id;
      const ids = (
        await c.query<{ id: string }>(`select id from contacts where org_id = $1 and deleted_at is null order by id limit ${oneRow}`, [org])
      ).rows.map((r) => r.id);
      const lines = ['| statement | runs | in the field_values triggers, p50 (ms) | whole statement, p50 (ms) | share |', '|---|---:|---:|---:|---:|'];
      for (const k of CASES) {
        const inTriggers: number[] = [];
        const whole: number[] = [];
        for (let i = 0; i < k.runs; i++) {
          const [text, values] = k.statement(org, ids, i);
          await c.query('begin');
          try {
            const plan = (await c.query(`explain (analyze, format json) ${text}`, values)).rows[0]['QUERY PLAN'][0];
            const triggers: Array<{ 'Trigger Name': string; Time: number }> = plan.Triggers ?? [];
            inTriggers.push(triggers.filter((t) => t['Trigger Name'].includes('_field_values_')).reduce((s, t) => s + t.Time, 0));
            whole.push(plan['Planning Time'] + plan['Execution Time']);
          } finally {
            await c.query('rollback');
          }
        }
        const [t, w] = [p50(inTriggers), p50(whole)];
        lines.push(`| ${k.label} | ${k.runs} | ${t.toFixed(3)} | ${w.toFixed(3)} | ${((100 * t) / w).toFixed(0)} % |`);
        log(lines.at(-1)!);
      }
      const md = `# field_values triggers: cost per write — ${new Date().toISOString()}\n\nDatabase \`${opts.database}\` (${opts.contacts.toLocaleString('en')} contacts, ${opts.orgs} orgs), the largest org; each statement in a transaction rolled back.\n\n${lines.join('\n')}\n`;
      const out = path.join('bench', 'results', opts.quick ? 'writes-quick.md' : 'writes.md');
      writeFileSync(out, md);
      process.stdout.write(md);
      log(`written to ${out}`);
    } finally {
      // Rolled back, the statements still left ~90k dead row versions and their index entries
      // (they slowed the gender-ordered filter of the next `npm run bench` from 5.3 to 9.1 ms);
      // the read bench must find the dataset as the seed left it.
      await c.query('vacuum contacts, field_values').catch((e) => log(`vacuum failed: ${e}`));
      await c.end();
    }
  } finally {
    await cleanupAll();
  }
}

await main();
