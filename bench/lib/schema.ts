import { z } from 'zod';
import { SCENARIO_IDS } from './context';

const ms = z.number().finite().nonnegative();

/**
 * One line of results, BENCH.md's shape (strict: no extra keys slip in), plus `rows_per_s`
 * on write rows: BENCH.md asks for writes' rows/s, and a batch request writes many rows.
 */
export const ScenarioResult = z.strictObject({
  id: z.enum(SCENARIO_IDS),
  mode: z.enum(['pooled', 'direct']),
  concurrency: z.number().int().positive(),
  p50_ms: ms,
  p95_ms: ms,
  p99_ms: ms,
  rps: ms,
  errors: z.number().int().nonnegative(),
  rows_per_s: ms.optional(),
  floor_db_p50_ms: ms.optional(),
  floor_edge_p50_ms: ms.optional(),
  naive_p50_ms: ms.optional(),
  notes: z.string().optional(),
});
export type ScenarioResult = z.infer<typeof ScenarioResult>;

/** bench/results/latest.json as BENCH.md specifies it. */
export const BenchResults = z.strictObject({
  at: z.iso.datetime(),
  machine: z.strictObject({
    cores: z.number().int().positive(),
    memory_gb: z.number().positive(),
    node: z.string().min(1),
    postgres: z.string().min(1),
  }),
  dataset: z.strictObject({
    contacts: z.number().int().nonnegative(),
    orgs: z.number().int().nonnegative(),
    largest_org_contacts: z.number().int().nonnegative(),
  }),
  scenarios: z.array(ScenarioResult),
});
export type BenchResults = z.infer<typeof BenchResults>;
