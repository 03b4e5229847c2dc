/**
 * The `workflow` scenario (issue 25: "Measured and reported: workflow step latency from enqueue to
 * start in wrangler dev, with the queue settings used"). A workflow run is a job, not a request:
 * `POST /v1/workflows/{id}/run` answers 202, its steps run on the three local queues of the same
 * `wrangler dev` (decision 0049), and the client polls `GET /v1/workflow-runs/{id}` until the run
 * ends. So the scenario runs its own loop (like `export`):
 *
 * - one workflow, a diamond over two queues: `a` compute (cpu) → `b` update_field of a contact of
 *   the bench org to a value no run wrote before (mixed → default queue) and `c` compute (cpu) →
 *   `d` compute (cpu), which needs both;
 * - concurrency 1: runs one after another (30 with the default 10 s duration, 3 with `--quick`);
 *   concurrency 8: rounds of 8 runs started at once (3 rounds; 1 with `--quick`), each on a
 *   contact of its own;
 * - per step, from the step's own timestamps (Postgres `now()`, to the millisecond): queue latency
 *   = startedAt − enqueuedAt, per queue; duration = finishedAt − startedAt, per action; per run,
 *   end to end = the last step's finishedAt − the moment the bench sent the POST (one clock: the
 *   bench and Postgres share the machine), and the run's own startedAt → last finishedAt;
 * - the queue settings (`[[queues.consumers]]` of wrangler.toml, which `wrangler dev` reads) are
 *   read here and stated with the numbers.
 *
 * Before the measured runs (per mode: each has its own wrangler dev), one discarded run compiles
 * the consumer's code. The workflows it created are deleted after it (their runs cascade); the
 * contacts' phones it set stay, as the `write` scenario's do.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/config';
import type { BenchContext, HttpRequest, Scenario, Variant } from './context';
import { round } from './histogram';
import type { LoadResult } from './load';
import { sleep } from './process';

export const WORKFLOW_LABEL = 'diamond: compute → (update_field, compute) → compute';
const POLL_MS = 100;
/** A run still going after this long is counted as unfinished (a step retried with backoff takes seconds). */
const RUN_ALLOWED_MS = 120_000;
/** Contacts the runs update: one per concurrent run. */
const CONTACTS = 8;
/** Runs one after another at c1 per measured second, at least and at most. */
const C1_RUNS_PER_SECOND = 3;
const C1_MIN_RUNS = 3;
const C1_MAX_RUNS = 30;
/** Rounds of `concurrency` runs started at once, one per 3 measured seconds, 1 to 3. */
const MAX_ROUNDS = 3;

/** One `[[queues.consumers]]` entry of wrangler.toml. */
export interface QueueSetting {
  queue: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  dead_letter_queue?: string;
}

/**
 * The `[[queues.consumers]]` tables of a wrangler.toml (top level; `[env.*]` ones are not what
 * `wrangler dev` runs by default). Flat `key = value` lines only, as the file writes them.
 */
export function queueConsumers(toml: string): QueueSetting[] {
  const out: QueueSetting[] = [];
  let current: Record<string, string | number> | null = null;
  for (const raw of toml.split('\n')) {
    const line = raw.replace(/\s+#.*$|^#.*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('[')) {
      current = line === '[[queues.consumers]]' ? {} : null;
      if (current) out.push(current as unknown as QueueSetting);
      continue;
    }
    const m = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
    if (!current || !m) continue;
    const value = m[2].trim();
    current[m[1]] = /^".*"$/.test(value) ? value.slice(1, -1) : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out.filter((q) => typeof q.queue === 'string');
}

/** The workflow queues' settings as `wrangler dev` reads them (the repository's wrangler.toml). */
export function workflowQueueSettings(toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')): QueueSetting[] {
  return queueConsumers(toml).filter((q) => q.queue.startsWith('crm-workflow-'));
}

export const settingText = (q: QueueSetting) =>
  `${q.queue}: max_batch_size ${q.max_batch_size ?? 'default'}, max_batch_timeout ${q.max_batch_timeout ?? 'default'} s, max_retries ${q.max_retries ?? 'default'}${q.dead_letter_queue ? `, dead letters to ${q.dead_letter_queue}` : ''}`;

/** A distribution in ms: p50, p95, p99, max and how many. */
export interface Dist {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** What one variant (one concurrency) measured: what goals.ts and the markdown read (LoadResult.workflow). */
export interface WorkflowFacts {
  concurrency: number;
  /** Runs started (POST answered 202), and how they ended. */
  runs: number;
  succeeded: number;
  failed: number;
  unfinished: number;
  /** POSTs that did not answer 202. */
  refused: number;
  /** Steps that needed more than one attempt, and attempts beyond the first in all. */
  retriedSteps: number;
  retries: number;
  /** Failed or retried steps, and refused POSTs: which step, what error. */
  problems: string[];
  /** startedAt − enqueuedAt, per queue. */
  queueLatency: Record<string, Dist>;
  /** finishedAt − startedAt, per action. */
  stepDuration: Record<string, Dist>;
  /** The POST sent → the last step's finishedAt. */
  endToEnd: Dist | null;
  /** The run's own startedAt → the last step's finishedAt. */
  runClock: Dist | null;
  /** The POST sent → the poll that saw the run end (polls every 100 ms). */
  seen: Dist | null;
  /** Steps whose startedAt came before their enqueuedAt (clock or bookkeeping), counted as 0. */
  negative: number;
  wallSeconds: number;
  settings: QueueSetting[];
}

interface StepView {
  key: string;
  class: string;
  queue: string;
  status: string;
  attempts: number;
  error: string | null;
  enqueuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

interface RunView {
  id: string;
  status: string;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepView[];
}

/** The diamond: `a` → (`b`, `c`) → `d`; `b` writes `a`'s value to the run's contact's phone. */
export const STEPS = [
  { key: 'a', action: 'compute', params: { op: 'concat', args: ['+1 555 0199 ', '$trigger.tag'] } },
  {
    key: 'b',
    action: 'update_field',
    dependsOn: ['a'],
    params: { resource: 'contacts', id: '$trigger.contact', field: 'phone', value: '$steps.a.value' },
  },
  { key: 'c', action: 'compute', dependsOn: ['a'], params: { op: 'sum', args: [1, 2, 3] } },
  { key: 'd', action: 'compute', dependsOn: ['b', 'c'], params: { op: 'concat', args: ['$steps.a.value', '$steps.c.value'] } },
];
const ACTION_OF: Record<string, string> = Object.fromEntries(STEPS.map((s) => [s.key, s.action]));

/** Workflows this run created, deleted by the clean-up. */
const created: string[] = [];
let tagSeq = 0;

const headers = (ctx: BenchContext) => ({ Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json' });

async function api<T>(ctx: BenchContext, method: string, p: string, body?: unknown, want = 200): Promise<T> {
  const res = await fetch(`${ctx.baseUrl}${p}`, {
    method,
    headers: headers(ctx),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== want) throw new Error(`${method} ${p} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? ((JSON.parse(text) as { data: T }).data as T) : (undefined as T);
}

/** Contacts of the bench org the runs update (from the end of the id order: `write` and `mix` take the start). */
async function contacts(ctx: BenchContext): Promise<string[]> {
  const key = 'workflow.contacts';
  if (!ctx.found.has(key)) {
    const { rows } = await ctx.pg.query<{ id: string }>(`select id from contacts where org_id = $1 and deleted_at is null order by id desc limit ${CONTACTS}`, [
      ctx.auth.orgId,
    ]);
    if (rows.length < CONTACTS) throw new Error(`org ${ctx.orgSlug} has fewer than ${CONTACTS} contacts`);
    ctx.found.set(key, rows.map((r) => r.id).join(','));
  }
  return ctx.found.get(key)!.split(',');
}

/** The scenario's workflow on the current mode's server, created once per server. */
const workflows = new Map<string, string>();

async function workflowId(ctx: BenchContext): Promise<string> {
  let id = workflows.get(ctx.baseUrl);
  if (!id) {
    id = (await api<{ id: string }>(ctx, 'POST', '/v1/workflows', { name: `bench workflow ${Date.now()}`, steps: STEPS }, 201)).id;
    created.push(id);
    workflows.set(ctx.baseUrl, id);
  }
  return id;
}

interface Outcome {
  sent: number;
  seenMs: number | null;
  run: RunView | null;
  refused?: string;
}

/** One run: the POST, then a poll every 100 ms until it leaves queued/running. */
async function oneRun(ctx: BenchContext, workflow: string, contact: string): Promise<Outcome> {
  const tag = `wf${Date.now().toString(36)}-${process.pid}-${++tagSeq}`;
  const sent = Date.now();
  let run: RunView;
  try {
    run = await api<RunView>(ctx, 'POST', `/v1/workflows/${workflow}/run`, { input: { contact, tag } }, 202);
  } catch (err) {
    return { sent, seenMs: null, run: null, refused: String((err as Error).message ?? err).slice(0, 300) };
  }
  for (;;) {
    if (run.status !== 'queued' && run.status !== 'running') return { sent, seenMs: Date.now() - sent, run };
    if (Date.now() - sent > RUN_ALLOWED_MS) return { sent, seenMs: null, run };
    await sleep(POLL_MS);
    run = await api<RunView>(ctx, 'GET', `/v1/workflow-runs/${run.id}`);
  }
}

/** Nearest-rank percentiles of a few dozen whole-millisecond values: exact, no histogram buckets. */
function dist(values: number[]): Dist | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
  return { count: values.length, p50_ms: at(50), p95_ms: at(95), p99_ms: at(99), max_ms: round(sorted[sorted.length - 1]) };
}

function distBy(pairs: Array<[string, number]>): Record<string, Dist> {
  const by = new Map<string, number[]>();
  for (const [k, v] of pairs) by.set(k, [...(by.get(k) ?? []), v]);
  return Object.fromEntries([...by].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, dist(v)!]));
}

const at = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** The facts of a set of runs. */
export function summarise(outcomes: Outcome[], concurrency: number, wallMs: number, settings: QueueSetting[]): WorkflowFacts {
  const queue: Array<[string, number]> = [];
  const duration: Array<[string, number]> = [];
  const endToEnd: number[] = [];
  const runClock: number[] = [];
  const seen: number[] = [];
  const problems: string[] = [];
  let negative = 0;
  let retriedSteps = 0;
  let retries = 0;
  const runs = outcomes.filter((o) => o.run);
  for (const o of outcomes) {
    if (o.refused) problems.push(`POST …/run refused: ${o.refused}`);
    const r = o.run;
    if (!r) continue;
    if (o.seenMs !== null) seen.push(o.seenMs);
    if (r.status === 'failed') problems.push(`run ${r.id} failed: ${r.error ?? 'no error given'}`);
    else if (r.status === 'queued' || r.status === 'running') problems.push(`run ${r.id} still ${r.status} after ${RUN_ALLOWED_MS / 1000} s`);
    for (const s of r.steps) {
      const enq = at(s.enqueuedAt);
      const start = at(s.startedAt);
      const end = at(s.finishedAt);
      if (enq !== null && start !== null) {
        if (start < enq) negative++;
        queue.push([s.queue, Math.max(0, start - enq)]);
      }
      if (start !== null && end !== null) duration.push([ACTION_OF[s.key] ?? s.class, Math.max(0, end - start)]);
      if (s.attempts > 1) {
        retriedSteps++;
        retries += s.attempts - 1;
        problems.push(`run ${r.id} step ${s.key} (${s.queue}) took ${s.attempts} attempts${s.error ? `: ${s.error}` : ''}`);
      } else if (s.status === 'failed') problems.push(`run ${r.id} step ${s.key} (${s.queue}) failed: ${s.error ?? 'no error given'}`);
    }
    if (r.status === 'succeeded') {
      const last = Math.max(...r.steps.map((s) => at(s.finishedAt) ?? Number.NEGATIVE_INFINITY));
      if (Number.isFinite(last)) {
        endToEnd.push(Math.max(0, last - o.sent));
        const began = at(r.startedAt);
        if (began !== null) runClock.push(Math.max(0, last - began));
      }
    }
  }
  return {
    concurrency,
    runs: runs.length,
    succeeded: runs.filter((o) => o.run!.status === 'succeeded').length,
    failed: runs.filter((o) => o.run!.status === 'failed' || o.run!.status === 'cancelled').length,
    unfinished: runs.filter((o) => o.run!.status === 'queued' || o.run!.status === 'running').length,
    refused: outcomes.filter((o) => o.refused).length,
    retriedSteps,
    retries,
    problems,
    queueLatency: distBy(queue),
    stepDuration: distBy(duration),
    endToEnd: dist(endToEnd),
    runClock: dist(runClock),
    seen: dist(seen),
    negative,
    wallSeconds: round(wallMs / 1000),
    settings,
  };
}

/** How many runs (c1: one after another) or rounds (c > 1: `concurrency` at once) for a duration. */
export function plan(concurrency: number, seconds: number): { rounds: number; perRound: number } {
  if (concurrency <= 1) return { rounds: Math.min(C1_MAX_RUNS, Math.max(C1_MIN_RUNS, Math.round(seconds * C1_RUNS_PER_SECOND))), perRound: 1 };
  return { rounds: Math.min(MAX_ROUNDS, Math.max(1, Math.round(seconds / 3))), perRound: concurrency };
}

const d = (x: Dist | null | undefined) => (x ? `p50 ${x.p50_ms} ms, p95 ${x.p95_ms} ms, max ${x.max_ms} ms (${x.count})` : '–');

/** The row's notes: everything measured, in one line. */
export function describe(f: WorkflowFacts): string {
  const parts = [
    `${f.runs} runs (${f.concurrency > 1 ? `rounds of ${f.concurrency} started at once` : 'one after another'}) in ${f.wallSeconds} s: ${f.succeeded} succeeded, ${f.failed} failed, ${f.unfinished} unfinished${f.refused ? `, ${f.refused} POSTs refused` : ''}; ${f.retriedSteps} steps retried (${f.retries} retries)`,
    ...Object.entries(f.queueLatency).map(([q, x]) => `queue latency (enqueuedAt → startedAt) ${q} ${d(x)}`),
    ...Object.entries(f.stepDuration).map(([a, x]) => `step duration (startedAt → finishedAt) ${a} ${d(x)}`),
    `run end to end (POST sent → last step finished) ${d(f.endToEnd)}`,
    `run's own clock (run startedAt → last step finished) ${d(f.runClock)}`,
    `POST sent → the poll (every ${POLL_MS} ms) that saw it end ${d(f.seen)}`,
    `queue settings (wrangler.toml [[queues.consumers]]): ${f.settings.map(settingText).join('; ') || 'none found'}`,
    "queue latency runs from the statement that marks a step enqueued (before queue.send) to the consumer's update that marks it running, after it connected to Postgres and read the run: it includes the send, the local queue's batching and that connection",
    'the runs set the phones of 8 contacts of the bench org (they stay changed, with their audit records); the workflow and its runs are deleted after the scenario',
  ];
  if (f.negative) parts.push(`⚠ ${f.negative} steps started before they were enqueued by the timestamps (counted as 0 ms)`);
  if (f.problems.length) parts.push(`⚠ ${f.problems.slice(0, 10).join('; ')}${f.problems.length > 10 ? `; … ${f.problems.length - 10} more` : ''}`);
  return parts.join('; ');
}

/** The variant's loop at one concurrency. */
async function measureRuns(ctx: BenchContext, concurrency: number, seconds: number): Promise<WorkflowFacts> {
  const workflow = await workflowId(ctx);
  const ids = await contacts(ctx);
  const { rounds, perRound } = plan(concurrency, seconds);
  const outcomes: Outcome[] = [];
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const got = await Promise.all(Array.from({ length: perRound }, (_, i) => oneRun(ctx, workflow, ids[(perRound > 1 ? i : round) % ids.length])));
    outcomes.push(...got);
    if (concurrency > 1)
      ctx.log(`    workflow c${concurrency}: round ${round + 1}/${rounds}: ${got.filter((o) => o.run?.status === 'succeeded').length}/${got.length} succeeded`);
  }
  return summarise(outcomes, concurrency, performance.now() - started, workflowQueueSettings());
}

const variant: Variant = {
  label: WORKFLOW_LABEL,
  request: (ctx): HttpRequest => ({
    path: '/v1/workflows/{id}/run',
    method: 'POST',
    headers: headers(ctx),
    body: JSON.stringify({ input: { contact: '<id>', tag: '<unique>' } }),
  }),
  concurrency: [1, 8],
  notes: () =>
    `POST /v1/workflows/{id}/run of a diamond (a compute → b update_field of a contact's phone to a new value, c compute → d compute), then GET /v1/workflow-runs/{id} every ${POLL_MS} ms until it ends; p50/p95/p99 = runs end to end (the POST sent → the last step's finishedAt), rps = runs/s, errors = runs that did not succeed`,
  run: async (ctx, concurrency, { seconds }): Promise<LoadResult> => {
    const facts = await measureRuns(ctx, concurrency, seconds);
    const e = facts.endToEnd;
    const errors = facts.runs + facts.refused - facts.succeeded;
    const rps = facts.wallSeconds > 0 ? round((facts.runs + facts.refused) / facts.wallSeconds) : 0;
    return {
      p50_ms: e?.p50_ms ?? 0,
      p95_ms: e?.p95_ms ?? 0,
      p99_ms: e?.p99_ms ?? 0,
      count: facts.runs,
      rps,
      okRps: facts.wallSeconds > 0 ? round(facts.succeeded / facts.wallSeconds) : 0,
      errors,
      statuses: errors ? { 'run not succeeded': errors } : {},
      cutOff: [],
      workflow: facts,
      notes: describe(facts),
    };
  },
};

export const WORKFLOW_SCENARIO: Scenario = {
  id: 'workflow',
  auth: true,
  probe: '/v1/workflows',
  prepare: async (ctx) => {
    const settings = workflowQueueSettings();
    ctx.log(`  workflow queues: ${settings.map(settingText).join('; ') || 'no [[queues.consumers]] for crm-workflow-* in wrangler.toml'}`);
    const [contact] = await contacts(ctx);
    const warm = await oneRun(ctx, await workflowId(ctx), contact);
    if (warm.run?.status !== 'succeeded')
      throw new Error(
        `the warm-up run ended ${warm.run?.status ?? 'refused'}: ${warm.refused ?? warm.run?.error ?? warm.run?.steps.map((s) => `${s.key} ${s.status} ${s.error ?? ''}`).join(', ')}`,
      );
    ctx.log(`  workflow warm-up: run ${warm.run.id} succeeded, seen after ${warm.seenMs} ms`);
  },
  // The workflows (their runs and step runs cascade).
  finish: async (ctx) => {
    const ids = created.splice(0);
    workflows.clear();
    for (const id of ids) {
      const res = await fetch(`${ctx.baseUrl}/v1/workflows/${id}`, { method: 'DELETE', headers: headers(ctx), signal: AbortSignal.timeout(30_000) }).catch(
        () => null,
      );
      // The server may be gone already (Ctrl-C): delete by SQL then.
      if (res?.status !== 204 && res?.status !== 404) await ctx.pg.query(`delete from workflows where org_id = $1 and id = $2`, [ctx.auth.orgId, id]);
    }
  },
  variants: [variant],
};
