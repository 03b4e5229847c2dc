import autocannon, { type Request as AutocannonRequest } from 'autocannon';
import type { ExportFacts } from './export-scenario';
import { Latencies, type LatencySummary, round } from './histogram';
import type { Rounds } from './interval';
import type { WorkflowFacts } from './workflow-scenario';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  method?: string;
  body?: string;
  /** A fresh path and body per request (see HttpRequest.next). */
  next?: () => { path: string; body?: string };
  connections: number;
  seconds: number;
}

/** The one request autocannon repeats: rebuilt before every send when `next` varies it. */
function requestOf(spec: LoadSpec): AutocannonRequest {
  const { pathname, search } = new URL(spec.url);
  const request: AutocannonRequest = { method: spec.method ?? 'GET', path: pathname + search, headers: spec.headers, body: spec.body };
  const next = spec.next;
  return next ? { ...request, setupRequest: (r) => ({ ...r, ...next() }) } : request;
}

export interface LoadResult extends LatencySummary {
  rps: number;
  /** 2xx answers per second: what a write's rows/s counts (a refused write wrote nothing). */
  okRps: number;
  /** Non-2xx responses plus socket errors and timeouts. */
  errors: number;
  /** Status code → count for anything that was not 2xx, for the notes. */
  statuses: Record<string, number>;
  /** Requests still unanswered when the run ended after waiting longer than any answered one. */
  cutOff: number[];
  /** Measured in turns (concurrency 1): its latencies per round, for intervals (not in the JSON). */
  rounds?: Rounds;
  /** Measured in turns with a `tally`: 2xx answers by what answered them (e.g. where the grants came from). */
  tally?: Record<string, number>;
  /** Measured in turns with a `timing`: the durations the Worker reported (answers that carried one). */
  timing?: LatencySummary;
  /** Measured by a variant's own loop (`mix`): reads older than the write they named in X-Min-Generation. */
  stale?: number;
  /** What a variant's own loop found beyond the latencies, for the notes. */
  notes?: string;
  /** Rows per second a variant's own loop measured (`export`), instead of okRps × rowsPerRequest. */
  rowsPerSecond?: number;
  /** An `export` job's measurements: rows, times, workerd memory, the download. */
  exported?: ExportFacts;
  /** A `workflow` variant's runs: queue latency per queue, step durations, end to end, the queue settings. */
  workflow?: WorkflowFacts;
}

/**
 * autocannon drops the requests in flight when a run ends. A request stuck for seconds
 * would vanish from the percentiles, so a connection whose last answer is older than the
 * slowest recorded latency counts its wait so far (a lower bound) as one more sample.
 */
function cutOffWaits(lastAnswer: Map<object, number>, connections: number, started: number, ended: number, slowest: number): number[] {
  const waits = [...lastAnswer.values()].map((t) => ended - t);
  for (let i = lastAnswer.size; i < connections; i++) waits.push(ended - started);
  return waits.filter((w) => w > slowest);
}

/**
 * One autocannon run in this process (the server is wrangler's process tree). Every 2xx
 * latency goes into our µs histogram; rps counts all responses over the wall time.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies = new Latencies();
  const statuses: Record<string, number> = {};
  const lastAnswer = new Map<object, number>();
  let responses = 0;
  let ok = 0;
  let slowest = 0;
  const started = performance.now();
  const instance = autocannon({
    url: spec.url,
    headers: spec.headers,
    requests: [requestOf(spec)],
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    timeout: 30,
  });
  instance.on('response', (client, status, _bytes, ms) => {
    responses++;
    lastAnswer.set(client, performance.now());
    slowest = Math.max(slowest, ms);
    if (status >= 200 && status < 300) {
      ok++;
      latencies.record(ms);
    } else statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  const ended = performance.now();
  const cutOff = cutOffWaits(lastAnswer, spec.connections, started, ended, slowest).map(round);
  for (const wait of cutOff) latencies.record(wait);
  const perSecond = (n: number) => Math.round((n / ((ended - started) / 1000)) * 10) / 10;
  return {
    ...latencies.summary(),
    rps: perSecond(responses),
    okRps: perSecond(ok),
    errors: result.non2xx + result.errors,
    statuses,
    cutOff,
  };
}

/** Warm-up (discarded) then the measured run, at the same concurrency. */
export async function measure(spec: LoadSpec, warmupSeconds: number): Promise<LoadResult> {
  if (warmupSeconds > 0) await runLoad({ ...spec, seconds: warmupSeconds });
  return runLoad(spec);
}
