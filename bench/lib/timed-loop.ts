import { Latencies, type LatencySummary } from './histogram';

export interface LoopSpec {
  seconds: number;
  warmupSeconds: number;
  /** Slow baselines (naive at 3M rows: seconds per call) still get a few samples. */
  minIterations?: number;
}

/**
 * Calls `once` back to back (concurrency 1) for the given time and summarises the latency of
 * each call: how the db floor and naive baselines are timed, on a connection kept warm.
 */
export async function timeLoop(once: () => Promise<unknown>, spec: LoopSpec): Promise<LatencySummary> {
  const warmUntil = performance.now() + spec.warmupSeconds * 1000;
  do await once();
  while (performance.now() < warmUntil);
  const latencies = new Latencies();
  const minIterations = spec.minIterations ?? 3;
  const until = performance.now() + spec.seconds * 1000;
  while (performance.now() < until || latencies.count < minIterations) {
    const t0 = performance.now();
    await once();
    latencies.record(performance.now() - t0);
  }
  return latencies.summary();
}
