// npm run bench -- [--scenarios a,b] [--mode pooled|direct|both] [--duration S] [--concurrency 1,8]
//                  [--contacts N] [--orgs K] [--quick] [--out DIR]
// BENCH.md: the API under `wrangler dev` in pooled and direct mode against its edge floor,
// db floor and naive baselines, on a seeded dataset; results to bench/results/.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_USER, benchCaller } from './lib/auth';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup';
import { type BenchContext, type DatasetFacts, SCENARIO_IDS, type Scenario } from './lib/context';
import { type BenchDatabase, datasetFacts, ensureDataset, startDatabase } from './lib/dataset';
import { evaluateGoals } from './lib/goals';
import { machineFacts } from './lib/machine';
import { connect } from './lib/node-db';
import { type BenchOptions, parseOptions, USAGE, UsageError } from './lib/options';
import { renderMarkdown } from './lib/report-md';
import { renderSvg } from './lib/report-svg';
import { buildRows, type Row, toResults } from './lib/results';
import { type RunOutcome, runAll } from './lib/runner';
import { SCENARIOS } from './lib/scenarios';
import { wranglerVars } from './lib/wrangler-vars';
import { writeResults } from './lib/write';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** The requested scenarios in catalogue order, `empty` always first: it is every mode's edge floor. */
function selectScenarios(ids: string[] | null): Scenario[] {
  if (!ids) return SCENARIOS;
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) {
    const planned = unknown.filter((id) => (SCENARIO_IDS as readonly string[]).includes(id));
    const why = planned.length ? ` (${planned.join(', ')}: in BENCH.md, not in bench/lib/scenarios.ts yet)` : '';
    throw new UsageError(`unknown scenario ${unknown.join(', ')}${why}; the bench has: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  return SCENARIOS.filter((s) => s.id === 'empty' || ids.includes(s.id));
}

/** Rows in catalogue order, then variant, mode and concurrency: pooled and direct side by side. */
function sortRows(rows: Row[], opts: BenchOptions): Row[] {
  const scenarioIndex = (r: Row) => SCENARIOS.findIndex((s) => s.id === r.result.id);
  const variantIndex = (r: Row) => SCENARIOS[scenarioIndex(r)].variants.findIndex((v) => v.label === r.label);
  const key = (r: Row) => [scenarioIndex(r), variantIndex(r), opts.modes.indexOf(r.result.mode), r.result.concurrency];
  return [...rows].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka.map((v, i) => v - kb[i]).find((d) => d !== 0) ?? 0;
  });
}

/** What the report states beyond BENCH.md's dataset facts. */
interface RunFacts {
  db: BenchDatabase;
  largestSlug: string;
  databaseSize: string;
}

async function benchContext(dbUrl: string): Promise<{ ctx: BenchContext; largestSlug: string; databaseSize: string }> {
  const client = await connect(dbUrl);
  onCleanup('bench connection', () => client.end());
  const { largestSlug, databaseSize, ...dataset } = await datasetFacts(client, BENCH_USER.org);
  if (largestSlug !== BENCH_USER.org) log(`note: the largest org is ${largestSlug}, not ${BENCH_USER.org}; requests run as ${BENCH_USER.email}`);
  const { auth, token } = await benchCaller(client);
  const countLimit = Number(wranglerVars().COUNT_EXACT_LIMIT ?? 10_000);
  const ctx: BenchContext = { pg: client, auth, token, orgSlug: BENCH_USER.org, countLimit, dataset, baseUrl: '', found: new Map(), log };
  return { ctx, largestSlug, databaseSize };
}

async function report(opts: BenchOptions, at: Date, outcome: RunOutcome, dataset: DatasetFacts, meta: RunFacts): Promise<string> {
  const rows = sortRows(buildRows(outcome), opts);
  if (!rows.length) throw new Error('nothing was measured');
  const machine = machineFacts(meta.db.postgresVersion, meta.db.sharedBuffers, meta.db.hugePages);
  const results = toResults(at, machine, dataset, rows);
  const goals = evaluateGoals(rows);
  const md = renderMarkdown(results, rows, goals, outcome.skipped, {
    database: opts.database,
    seed: opts.seed,
    largestSlug: meta.largestSlug,
    databaseSize: meta.databaseSize,
    sharedBuffers: meta.db.sharedBuffers,
    passwordHash: meta.db.passwordHash,
    postgresStartedHere: meta.db.startedHere,
    modes: outcome.modes,
    duration: opts.duration,
    warmup: opts.warmup,
    concurrency: opts.concurrency,
  });
  const d = results.dataset;
  const subtitle = `${results.at} · ${d.contacts.toLocaleString('en')} contacts, ${d.orgs} orgs (largest ${d.largest_org_contacts.toLocaleString('en')}) · ${machine.cores} cores, ${machine.memory_gb} GB · ${machine.postgres}`;
  const files = writeResults(opts.outDir, at, { json: `${JSON.stringify(results, null, 2)}\n`, md, svg: renderSvg(rows, subtitle) });
  log(`wrote ${files.join(', ')}`);
  return md.replace('{{svg}}', path.join(opts.outDir, 'latest.svg'));
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  let scenarios: Scenario[];
  try {
    opts = parseOptions(argv);
    scenarios = selectScenarios(opts.scenarios);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`bench: ${err.message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  installSignalHandlers();
  const at = new Date();
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'crm-bench-run-'));
  let ok = false;
  // First registered, so it runs last: after wrangler has let go of its state. Server logs
  // stay for a post-mortem when the run failed (not when it was interrupted).
  let interrupted = true;
  onCleanup('run dir', async () => {
    if (ok || interrupted) rmSync(runDir, { recursive: true, force: true });
    else log(`server logs kept in ${runDir}`);
  });
  try {
    const db = await startDatabase(opts.database, opts.quick, log);
    await ensureDataset(db.url, { contacts: opts.contacts, orgs: opts.orgs, seed: opts.seed }, log);
    const { ctx, largestSlug, databaseSize } = await benchContext(db.url);
    log(
      `dataset: ${ctx.dataset.contacts.toLocaleString('en')} contacts, ${ctx.dataset.orgs} orgs, largest ${ctx.dataset.largest_org_contacts.toLocaleString('en')}`,
    );
    const outcome = await runAll(ctx, scenarios, db.url, runDir, opts);
    process.stdout.write(await report(opts, at, outcome, ctx.dataset, { db, largestSlug, databaseSize }));
    ok = true;
    const failures = outcome.skipped.filter((s) => s.failure);
    if (failures.length) log(`FAILED: ${failures.map((s) => `${s.id} (${s.mode}): ${s.reason}`).join('; ')}`);
    return failures.length ? 1 : 0;
  } finally {
    interrupted = false;
    await cleanupAll();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    log(`error: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
