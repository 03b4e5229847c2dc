import http from 'node:http';
import type { ResponseHeaders } from './context';
import { Latencies, round } from './histogram';
import type { Rounds } from './interval';
import type { LoadResult } from './load';

export interface PairedSpec {
  url: string;
  headers: Record<string, string>;
  method?: string;
  body?: string;
  /** A fresh path and body per request (see HttpRequest.next). */
  next?: () => { path: string; body?: string };
  /** Runs before each send, outside the timed span (see HttpRequest.before). */
  before?: () => Promise<void>;
  /** Names what answered, from the response headers (see HttpRequest.tally). */
  tally?: (headers: ResponseHeaders) => string;
  /** A duration the Worker reports, from the response headers (see HttpRequest.timing). */
  timing?: (headers: ResponseHeaders) => number | undefined;
}

/** A turn that is not an HTTP request: a baseline called from this process (the db floor). */
export interface CallSpec {
  call: () => Promise<unknown>;
}

interface Answer {
  status: number;
  ms: number;
  /** spec.tally's name for the answer, when it has one. */
  tally?: string;
  /** spec.timing's duration, when the answer carries one. */
  timing?: number;
}

/** One call, timed like a request: any rejection counts as an error. */
async function call(spec: CallSpec): Promise<Answer> {
  const started = performance.now();
  try {
    await spec.call();
    return { status: 200, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** One request on the shared keep-alive socket: status and milliseconds to the last body byte. */
async function send(agent: http.Agent, spec: PairedSpec): Promise<Answer> {
  // Untimed, and a failure is the request's: it did not run as specified.
  if (spec.before) {
    try {
      await spec.before();
    } catch {
      return { status: 0, ms: 0 };
    }
  }
  const fresh = spec.next?.();
  const url = fresh ? new URL(fresh.path, spec.url) : spec.url;
  const body = fresh ? fresh.body : spec.body;
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(url, { agent, method: spec.method ?? 'GET', headers: spec.headers, timeout: 30_000 }, (res) => {
      res.on('data', () => {});
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, tally: spec.tally?.(res.headers), timing: spec.timing?.(res.headers) }),
      );
      res.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

/**
 * Concurrency 1, interleaved: the requests take turns on one keep-alive connection for
 * `seconds`, in `turns` order (indexes into `specs`; default each once), each into its own
 * histogram. On a shared 2-core box latency drifts by a millisecond or two within minutes;
 * measured in turns, a route and the baselines it is compared with (the empty route, its own
 * SQL from this process, the first page) see the same machine.
 */
export async function runPaired(specs: Array<PairedSpec | CallSpec>, seconds: number, turns: number[] = specs.map((_, i) => i)): Promise<LoadResult[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = specs.map(() => new Latencies());
  const statuses = specs.map((): Record<string, number> => ({}));
  const errors = specs.map(() => 0);
  const tallies = specs.map((): Record<string, number> => ({}));
  const timings = specs.map(() => new Latencies());
  const rounds: Rounds[] = specs.map(() => []);
  const started = performance.now();
  const until = started + seconds * 1000;
  try {
    while (performance.now() < until) {
      for (const r of rounds) r.push([]);
      for (const i of turns) {
        const spec = specs[i];
        const { status, ms, tally, timing } = await ('call' in spec ? call(spec) : send(agent, spec));
        if (status >= 200 && status < 300) {
          latencies[i].record(ms);
          rounds[i].at(-1)!.push(ms);
          if (tally !== undefined) tallies[i][tally] = (tallies[i][tally] ?? 0) + 1;
          if (timing !== undefined) timings[i].record(timing);
        } else {
          errors[i]++;
          statuses[i][status] = (statuses[i][status] ?? 0) + 1;
        }
      }
    }
  } finally {
    agent.destroy();
  }
  const wall = (performance.now() - started) / 1000;
  return specs.map((_, i) => ({
    ...latencies[i].summary(),
    // Its answers per second of the shared run (the turns split the connection's time).
    rps: round((latencies[i].count + errors[i]) / wall),
    okRps: round(latencies[i].count / wall),
    errors: errors[i],
    statuses: statuses[i],
    cutOff: [],
    rounds: rounds[i],
    ...((specs[i] as PairedSpec).tally ? { tally: tallies[i] } : {}),
    ...(timings[i].count ? { timing: timings[i].summary() } : {}),
  }));
}

/** Warm-up (discarded) then the measured turns. */
export async function measurePaired(specs: Array<PairedSpec | CallSpec>, seconds: number, warmupSeconds: number, turns?: number[]): Promise<LoadResult[]> {
  if (warmupSeconds > 0) await runPaired(specs, warmupSeconds, turns);
  return runPaired(specs, seconds, turns);
}
