// Helpers for test/sharing/matrix.test.ts: an all-pairs covering set of configurations (built
// greedily, deterministic) and a bounded pool for sending many requests at once.

/** Every combination of the factors' levels, first factor slowest. */
export function crossProduct<T extends Record<string, readonly unknown[]>>(factors: T): Array<{ [K in keyof T]: T[K][number] }> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [name, levels] of Object.entries(factors)) out = out.flatMap((partial) => levels.map((level) => ({ ...partial, [name]: level })));
  return out as Array<{ [K in keyof T]: T[K][number] }>;
}

/** The pairs of (factor, level) a configuration covers, as strings. */
export function pairsOf(config: Record<string, unknown>): string[] {
  const keys = Object.keys(config).sort();
  const out: string[] = [];
  for (let i = 0; i < keys.length; i++)
    for (let j = i + 1; j < keys.length; j++) out.push(`${keys[i]}=${String(config[keys[i]])}&${keys[j]}=${String(config[keys[j]])}`);
  return out;
}

/**
 * An all-pairs covering set: every level of every factor meets every level of every other
 * factor in at least one configuration. Greedy (AETG-style): repeatedly take the first
 * configuration of the cross product that covers the most pairs not yet covered.
 */
export function allPairs<T extends Record<string, readonly unknown[]>>(factors: T): Array<{ [K in keyof T]: T[K][number] }> {
  const all = crossProduct(factors);
  const uncovered = new Set(all.flatMap((c) => pairsOf(c)));
  const chosen: typeof all = [];
  while (uncovered.size > 0) {
    let best = all[0];
    let bestGain = -1;
    for (const c of all) {
      const gain = pairsOf(c).filter((p) => uncovered.has(p)).length;
      if (gain > bestGain) {
        best = c;
        bestGain = gain;
      }
    }
    chosen.push(best);
    for (const p of pairsOf(best)) uncovered.delete(p);
  }
  return chosen;
}

/** Runs the tasks with at most `width` in flight; results in task order. */
export async function pool<T>(width: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return out;
}
