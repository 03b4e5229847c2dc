// The `sharing` scenario's harness, checked without the Worker: its declaration, the
// Server-Timing reading, turns with a step before each send and a tally of what answered,
// named references and their intervals, the goal and the reported lookup lines, and the callers
// it finds in crm_bench_quick. Used by selftest.ts, which also runs the scenario end to end.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { withDatabase } from '../scripts/lib/config';
import { sharingCallers } from './lib/auth';
import { type BenchContext, REFERENCE_LABEL, type Scenario } from './lib/context';
import { evaluateGoals } from './lib/goals';
import { differenceInterval, intervalText } from './lib/interval';
import { measureLoad, referenceOf } from './lib/measure-scenario';
import type { BenchOptions } from './lib/options';
import { runPaired } from './lib/paired';
import { pairedIntervals, type Row } from './lib/results';
import { SCENARIOS } from './lib/scenarios';
import type { BenchResults } from './lib/schema';
import {
  accessDuration,
  adminLabel,
  FROM_MEMORY,
  FROM_ORG_DO,
  grantsSource,
  MEMORY_LABEL,
  memberLabel,
  ORG_DO_HELD_LABEL,
  ORG_DO_RELOAD_LABEL,
  SHARING_ORDERS,
} from './lib/sharing-scenario';

type Check = (ok: boolean, what: string) => void;

function checkDeclaration(check: Check): void {
  const sharing = SCENARIOS.find((s) => s.id === 'sharing');
  const write = SCENARIOS.findIndex((s) => s.id === 'write');
  check(!!sharing && SCENARIOS.indexOf(sharing) < write, 'sharing: declared, before the write scenario (it reads the dataset as seeded)');
  if (!sharing) return;
  const find = (label: string) => sharing.variants.find((v) => v.label === label);
  check(
    SHARING_ORDERS.every((f) => find(memberLabel(f))?.reference === adminLabel(f) && !!find(adminLabel(f))?.floor && !!find(memberLabel(f))?.floor),
    "sharing: each member filter row takes turns with the admin's same request, both with a db floor",
  );
  const lookup = [MEMORY_LABEL, ORG_DO_HELD_LABEL, ORG_DO_RELOAD_LABEL].map(find);
  check(
    lookup.every((v) => v?.concurrency?.join() === '1') &&
      !!lookup[0]?.local &&
      [ORG_DO_HELD_LABEL, ORG_DO_RELOAD_LABEL].every((l) => find(l)?.reference === MEMORY_LABEL),
    'sharing: the lookup rows run at c1 only, the OrgDO rows in turns with the memory row, which is also timed in Node',
  );
  check(
    referenceOf(sharing, find(memberLabel('last_name'))!)?.label === adminLabel('last_name') &&
      referenceOf(sharing, find(adminLabel('last_name'))!) === undefined,
    'a named reference is the variant it names; a variant without one in a scenario without a first page has none',
  );
  const deep = SCENARIOS.find((s) => s.id === 'deep')!;
  check(referenceOf(deep, deep.variants.find((v) => v.label !== REFERENCE_LABEL)!)?.label === REFERENCE_LABEL, 'deep still takes turns with its first page');
  let threw = false;
  try {
    referenceOf(
      { ...sharing, variants: [{ label: 'x', reference: 'nowhere', request: () => ({ path: '/' }) }] },
      { label: 'x', reference: 'nowhere', request: () => ({ path: '/' }) },
    );
  } catch {
    threw = true;
  }
  check(threw, 'a reference to no variant is an error, not a run without it');
}

function checkGrantsSource(check: Check): void {
  check(
    grantsSource({ 'server-timing': 'db;dur=1.2, access;dur=0.0;desc="memory", total;dur=3' }) === FROM_MEMORY &&
      grantsSource({ 'server-timing': ['total;dur=3', 'access;dur=0.0;desc="durable-object"'] }) === FROM_ORG_DO &&
      grantsSource({}).startsWith('no access entry'),
    "Server-Timing's access entry names where the grants came from (memory, durable-object, or none)",
  );
  check(
    accessDuration({ 'server-timing': 'db;dur=1.2, access;dur=3.25;desc="durable-object", total;dur=9' }) === 3.25 &&
      accessDuration({ 'server-timing': ['total;dur=3', 'access;desc="memory";dur=0'] }) === 0 &&
      accessDuration({ 'server-timing': 'db;dur=1.2' }) === undefined,
    "Server-Timing's access entry gives the time the Worker waited for the object (dur), wherever it stands",
  );
}

/** A local server answering with Server-Timing `access` from memory unless `viaObject` was set just before. */
async function fakeWorker(): Promise<{ url: string; setVia(v: boolean): void; close(): void }> {
  let viaObject = false;
  const server = http.createServer((_req, res) => {
    res.setHeader('Server-Timing', viaObject ? 'access;dur=4.5;desc="durable-object"' : 'access;dur=0.0;desc="memory"');
    viaObject = false;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, setVia: (v) => (viaObject = v), close: () => server.close() };
}

async function checkTurns(check: Check): Promise<void> {
  const api = await fakeWorker();
  try {
    let befores = 0;
    const before = async () => {
      befores++;
      api.setVia(true);
      await new Promise((r) => setTimeout(r, 60));
    };
    const [slow, plain] = await runPaired(
      [
        { url: `${api.url}/a`, headers: {}, before, tally: grantsSource, timing: accessDuration },
        { url: `${api.url}/b`, headers: {}, tally: grantsSource },
      ],
      0.6,
    );
    const n = slow.rounds?.length ?? 0;
    check(
      befores === n + slow.errors && slow.tally?.[FROM_ORG_DO] === n && plain.tally?.[FROM_MEMORY] === plain.rounds?.length && !plain.tally?.[FROM_ORG_DO],
      `in turns, the step before a send runs before each of its sends only, and each answer is tallied (${JSON.stringify(slow.tally)}, ${JSON.stringify(plain.tally)})`,
    );
    check(
      slow.timing?.count === n && Math.abs(slow.timing.p50_ms - 4.5) < 0.01 && Math.abs(slow.timing.p95_ms - 4.5) < 0.01 && plain.timing === undefined,
      `in turns, the duration the Worker reports is summarised per request that asks for it (${JSON.stringify(slow.timing)})`,
    );
    // A wide margin: a local answer takes about a millisecond, the step 60.
    check(slow.p99_ms < 60, `the step before a send is not timed (p99 ${slow.p99_ms} ms, the step sleeps 60 ms)`);
    const failing = await runPaired([{ url: `${api.url}/a`, headers: {}, before: () => Promise.reject(new Error('no')) }], 0.1);
    check(failing[0].errors > 0 && !failing[0].rounds?.some((r) => r.length), 'a failed step before a send is an error, and nothing is timed');
    // autocannon has no such step: a c8 run of such a request is refused, not run without it.
    const scenario: Scenario = { id: 'sharing', auth: false, probe: '/', variants: [{ label: 'x', request: () => ({ path: '/a', before }) }] };
    const ctx = { baseUrl: api.url, found: new Map(), log: () => {} } as unknown as BenchContext;
    const refused = await measureLoad(ctx, scenario, scenario.variants[0], 'pooled', 8, { duration: 0.1, warmup: 0 } as BenchOptions).then(
      () => false,
      () => true,
    );
    check(refused, 'a request with a step before each send is refused at concurrency 8');
  } finally {
    api.close();
  }
}

function checkIntervals(check: Check): void {
  const rounds = (f: (r: number) => number[]) => Array.from({ length: 200 }, (_, r) => f(r));
  const d = differenceInterval(
    rounds((r) => [8 + (r % 13)]),
    rounds((r) => [5 + (r % 13)]),
    0.95,
  );
  check(!!d && d[0] === 3 && d[1] === 3, `a request always 3 ms slower than its companion: the difference interval is exactly 3 (${d && intervalText(d)})`);
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
  const named = pairedIntervals({
    load: load((r) => [2 * (5 + (r % 37))]),
    paired: { edge: load((r) => [5 + (r % 37)]), reference: load((r) => [5 + (r % 37)]) },
    referenceLabel: adminLabel('last_name'),
  });
  check(
    named.p95VsReference?.join() === '2,2' && !!named.p50MinusReference && !!named.p95MinusReference && !named.p50VsReference,
    `a named reference is compared by its p95 ratio and the differences, not the first page's p50 ratio (${JSON.stringify(named)})`,
  );
}

function checkGoals(check: Check): void {
  const result = (label: string, p50: number, p95: number): Row['result'] => ({
    id: 'sharing',
    mode: 'pooled',
    concurrency: 1,
    p50_ms: p50,
    p95_ms: p95,
    p99_ms: p95,
    rps: 1,
    errors: 0,
    notes: label,
  });
  const member = (p95: number, admin: number): Row => ({
    label: memberLabel('last_name'),
    result: result(memberLabel('last_name'), 8, p95),
    reference: result(adminLabel('last_name'), 7, admin),
    referenceLabel: adminLabel('last_name'),
    intervals: { p95VsReference: [1.1, 1.6] },
  });
  const goal = (rows: Row[]) => evaluateGoals(rows).find((g) => g.goal.startsWith('sharing: member p95'));
  const pass = goal([member(14.9, 10)]);
  check(
    pass?.status === 'pass' && goal([member(15.1, 10)])?.status === 'fail' && !!pass.detail.includes('(ratio 1.49, 95 % interval 1.10–1.60)'),
    `sharing: member p95 ≤ 1.5 × the admin's p95 measured in turns, with its interval (${pass?.detail})`,
  );
  check(goal([])?.status === 'not measured', 'sharing: not measured without member rows');
  const memory: Row = {
    label: MEMORY_LABEL,
    result: result(MEMORY_LABEL, 6, 8),
    tally: { [FROM_MEMORY]: 40 },
    local: { p50_ms: 0.12, p95_ms: 0.2, p99_ms: 0.3, count: 1000, what: 'x' },
  };
  const orgDo = (label: string, tally: Record<string, number>): Row => ({
    label,
    result: result(label, 9, 12),
    reference: result(MEMORY_LABEL, 6, 8),
    referenceLabel: MEMORY_LABEL,
    tally,
    referenceTally: { [FROM_MEMORY]: 40 },
    intervals: { p50MinusReference: [2.5, 3.5], p95MinusReference: [3, 5] },
  });
  const goals = evaluateGoals([
    memory,
    { ...orgDo(ORG_DO_HELD_LABEL, { [FROM_ORG_DO]: 20 }), timing: { p50_ms: 1.5, p95_ms: 2.5, p99_ms: 3, count: 20 } },
    orgDo(ORG_DO_RELOAD_LABEL, { [FROM_ORG_DO]: 19, [FROM_MEMORY]: 1 }),
  ]);
  const line = (prefix: string) => goals.find((g) => g.goal.startsWith(prefix));
  const inMemory = line('sharing (reported, not a goal): effective-grant lookup from isolate memory');
  const viaObject = line('sharing (reported, not a goal): effective-grant lookup through the OrgDO');
  check(
    inMemory?.status === 'reported' && inMemory.detail.includes('p95 0.2 ms (an upper bound; under 1 ms)'),
    `the memory lookup is reported from its Node timing, without a verdict (${inMemory?.detail})`,
  );
  check(
    viaObject?.status === 'reported' &&
      viaObject.detail.includes('snapshot held: the Worker waited p50 1.5 ms, p95 2.5 ms for the object (Server-Timing, 20 answers), under 5 ms at p95') &&
      viaObject.detail.includes('end to end +3 ms p50 (95 % interval 2.50–3.50), +4 ms p95 (95 % interval 3.00–5.00)') &&
      viaObject.detail.includes('snapshot reloaded: +3 ms p50') &&
      viaObject.detail.includes('⚠ only 19 of 20 answers grants from durable-object'),
    `the OrgDO path is reported as its cost over the memory path in turns, and a row whose answers did not all take that path says so (${viaObject?.detail})`,
  );
  const seeds = line('c1: beat the seeds');
  check(
    seeds?.status === 'pass' && seeds.detail === 'sharing lookup from isolate memory (in Node, an upper bound) 0.12 < 5 ms ✓',
    `the seeds' 5 ms sharing lookup is compared with the lookup, not with a request (${seeds?.detail})`,
  );
}

/** The callers the scenario finds in crm_bench_quick (the selftest's bench run seeded it): the demo org keeps contacts private. */
export async function checkSharingCallers(check: Check, serverUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: withDatabase(serverUrl, 'crm_bench_quick') });
  await c.connect();
  try {
    const callers = await sharingCallers(c);
    const { rows } = await c.query<{ access: string }>(
      `select s.default_access as access from sharing_settings s join orgs o on o.id = s.org_id where o.slug = $1 and s.object_type = 'contact'`,
      [callers.org],
    );
    check(
      callers.org === 'demo' &&
        !callers.note &&
        rows[0]?.access === 'private' &&
        callers.member.email === 'member@demo.test' &&
        callers.member.auth.role === 'member' &&
        callers.admin.auth.role === 'admin' &&
        callers.member.auth.orgId === callers.admin.auth.orgId,
      `sharing: the member and the admin of the bench org, whose contacts are private (${callers.org}: ${rows[0]?.access}, ${callers.member.email}, ${callers.admin.email})`,
    );
  } finally {
    await c.end();
  }
}

export async function checkSharing(check: Check): Promise<void> {
  checkDeclaration(check);
  checkGrantsSource(check);
  await checkTurns(check);
  checkIntervals(check);
  checkGoals(check);
}

/** The scenario as the selftest's quick run measured it against the Worker: every row, and each lookup row on the path it stands for. */
export function checkSharingResults(check: Check, res: BenchResults, md: string): void {
  const modes = [...new Set(res.scenarios.map((s) => s.mode))];
  for (const mode of modes) {
    const c1 = res.scenarios.filter((s) => s.id === 'sharing' && s.mode === mode && s.concurrency === 1);
    const row = (label: string) => c1.find((s) => s.notes?.startsWith(`${label}: `));
    const labels = [...SHARING_ORDERS.flatMap((f) => [adminLabel(f), memberLabel(f)]), MEMORY_LABEL, ORG_DO_HELD_LABEL, ORG_DO_RELOAD_LABEL];
    check(
      labels.every((l) => row(l)),
      `${mode} c1: sharing measured every row (${c1.length} of ${labels.length})`,
    );
    const answered = (label: string) => /; answered: ([^;]+)/.exec(row(label)?.notes ?? '')?.[1] ?? 'nothing recorded';
    check(
      /^grants from memory ×\d+$/.test(answered(MEMORY_LABEL)) && /^grants from memory ×\d+$/.test(answered(memberLabel('last_name'))),
      `${mode} c1: the member's requests took their grants from isolate memory (${answered(MEMORY_LABEL)})`,
    );
    for (const label of [ORG_DO_HELD_LABEL, ORG_DO_RELOAD_LABEL])
      check(
        /^grants from durable-object ×\d+$/.test(answered(label)),
        `${mode} c1: every [${label}] request took its grants from the OrgDO (${answered(label)})`,
      );
  }
  if (modes.includes('pooled')) {
    check(/\| sharing: member p95 ≤ 1\.5 × admin p95 on the same request \(in turns\) \| (✅ pass|❌ fail) \|/.test(md), 'latest.md judges the sharing goal');
    check(
      /\| sharing \(reported, not a goal\): effective-grant lookup through the OrgDO[^|]*\| ℹ️ reported \| snapshot held: /.test(md),
      'latest.md reports the OrgDO lookup without a verdict',
    );
  }
}
