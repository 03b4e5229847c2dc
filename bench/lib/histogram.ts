import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  count: number;
}

/**
 * Latencies in microseconds: autocannon's own histogram counts whole milliseconds, too
 * coarse for routes that answer in 2–5 ms. 3 significant digits ⇒ ≤ 0.1 % quantisation.
 */
export class Latencies {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): LatencySummary {
    const at = (p: number) => round(this.h.getValueAtPercentile(p) / 1000);
    return { p50_ms: at(50), p95_ms: at(95), p99_ms: at(99), count: this.h.totalCount };
  }
}

/** Milliseconds to 3 decimals (microseconds): more would be noise, less hides sub-ms floors. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
