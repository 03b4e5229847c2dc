// npm run db:seed -- --contacts N [--orgs K] [--seed S] [--force] [--verify]
// Loads a deterministic, skewed CRM dataset (see BENCH.md "Dataset"). Skips the work when
// the database already holds a dataset with the same parameters, unless --force.
// SEED_TRACE=1 also prints the duration of every load job and index build.
import { parseArgs } from './lib/config';
import { ensurePostgres, migrateDatabase } from './lib/postgres';
import { DEFAULT_PARAMS, SeedParamError, type SeedSummary, seedDatabase, seededWith, validateParams, verifyDataset } from './lib/seed';

const KNOWN = new Set(['contacts', 'orgs', 'seed', 'force', 'verify', 'help']);
const USAGE = `usage: npm run db:seed -- [--contacts N] [--orgs K] [--seed S] [--force] [--verify]
  --contacts  contacts in all orgs (default ${DEFAULT_PARAMS.contacts})
  --orgs      tenants; the first (slug demo) holds about half (default ${DEFAULT_PARAMS.orgs})
  --seed      generator seed (default ${DEFAULT_PARAMS.seed})
  --force     re-seed even when the database holds this dataset already
  --verify    check referential integrity and invariants afterwards`;

function parseCli() {
  const args = parseArgs();
  const unknown = Object.keys(args).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new SeedParamError(`unknown option --${unknown[0]}`);
  for (const k of ['contacts', 'orgs', 'seed']) {
    if (args[k] === true) throw new SeedParamError(`--${k} needs a value`);
  }
  return { params: validateParams(args), force: args.force === true, verify: args.verify === true, help: !!args.help };
}

function printSummary(s: SeedSummary): void {
  const width = Math.max(...Object.keys(s.rows).map((t) => t.length));
  console.log('rows:');
  for (const [table, n] of Object.entries(s.rows)) console.log(`  ${table.padEnd(width)} ${n.toLocaleString('en-US').padStart(12)}`);
  console.log(
    `total ${s.totalRows.toLocaleString('en-US')} rows in ${(s.totalMs / 1000).toFixed(1)} s ` +
      `= ${s.rowsPerSecond.toLocaleString('en-US')} rows/s${s.replica ? '' : ' (FK checks on)'}`,
  );
}

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli();
  } catch (e) {
    if (!(e instanceof SeedParamError)) throw e;
    console.error(`db:seed: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  const { contacts, orgs, seed } = cli.params;
  const server = await ensurePostgres();
  try {
    await migrateDatabase(server.url);
    const current = await seededWith(server.url);
    if (!cli.force && current && current.contacts === contacts && current.orgs === orgs && current.seed === seed) {
      console.log(`already seeded with --contacts ${contacts} --orgs ${orgs} --seed ${seed} (use --force to reload)`);
    } else {
      console.log(`seeding ${contacts.toLocaleString('en-US')} contacts in ${orgs} orgs (seed ${seed})`);
      printSummary(await seedDatabase(server.url, { ...cli.params, log: (s) => console.log(s) }));
    }
    if (cli.verify) {
      const report = await verifyDataset(server.url);
      for (const line of report.lines) console.log(line);
      if (!report.ok) return 1;
    }
    return 0;
  } finally {
    await server.stop();
  }
}

// Explicit exit: tsx does not pass process.exitCode on to the shell.
process.exit(await main());
