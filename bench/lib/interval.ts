/**
 * How sure a concurrency-1 comparison is. A route and its companions (the empty route, the
 * first page) are measured in turns, round by round, so one resample draws whole rounds with
 * replacement: each drawn round brings every request's samples of those same seconds, and the
 * pairing with the machine's drift survives. The interval is the 2.5th–97.5th percentile of
 * the statistic over the resamples, from a seeded generator: the same data gives the same
 * interval. It says how far a single run's ratio could move by sampling alone; it does not
 * change any goal's verdict.
 */

/** Per request of a paired run: its latencies (ms), grouped by the round they were taken in. */
export type Rounds = number[][];

/** Nearest-rank quantile, like the HDR histogram's getValueAtPercentile. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Two decimals, as the goals print ratios: `1.74–2.01`. */
export const intervalText = ([lo, hi]: [number, number]) => `${lo.toFixed(2)}–${hi.toFixed(2)}`;

/** mulberry32: small, fast, and seeded, which Math.random is not (tests replay with it too). */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The 95 % interval of stat(a's samples, b's samples), resampling the rounds both were
 * measured in. `a` and `b` must come from the same run (round r of one is round r of the
 * other). Null when there are too few rounds to say anything, or stat has no value for most
 * resamples.
 */
function pairedInterval(a: Rounds, b: Rounds, stat: (xa: number[], xb: number[]) => number | null, resamples: number, seed: number): [number, number] | null {
  const n = Math.min(a.length, b.length);
  if (n < 20) return null;
  const next = generator(seed);
  const values: number[] = [];
  for (let s = 0; s < resamples; s++) {
    const xa: number[] = [];
    const xb: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = Math.floor(next() * n);
      xa.push(...a[r]);
      xb.push(...b[r]);
    }
    const value = stat(xa, xb);
    if (value !== null) values.push(value);
  }
  if (values.length < resamples / 2) return null;
  return [quantile(values, 0.025), quantile(values, 0.975)];
}

/** The 95 % interval of quantile(a, q) ÷ quantile(b, q) (see pairedInterval). */
export function ratioInterval(a: Rounds, b: Rounds, q: number, resamples = 1000, seed = 42): [number, number] | null {
  return pairedInterval(
    a,
    b,
    (xa, xb) => {
      const denominator = quantile(xb, q);
      return xa.length && denominator > 0 ? quantile(xa, q) / denominator : null;
    },
    resamples,
    seed,
  );
}

/** The 95 % interval of quantile(a, q) − quantile(b, q), in ms (see pairedInterval): what one request costs over the other. */
export function differenceInterval(a: Rounds, b: Rounds, q: number, resamples = 1000, seed = 42): [number, number] | null {
  return pairedInterval(a, b, (xa, xb) => (xa.length && xb.length ? quantile(xa, q) - quantile(xb, q) : null), resamples, seed);
}
