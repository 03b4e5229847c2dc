import { onCleanup, stopping } from './cleanup';
import type { BenchContext, Scenario, Variant } from './context';
import { type Baseline, type Measured, measureBaseline, measureLoad, probe } from './measure-scenario';
import type { BenchOptions, Mode } from './options';
import { pooledAvailable, startMode } from './servers';

export interface Skipped {
  id: string;
  mode: Mode;
  reason: string;
  /** A broken route or setup, as opposed to a route that does not exist yet. */
  failure: boolean;
}

export interface RunOutcome {
  measured: Measured[];
  /**
   * db floors by `floorKey`, per mode: timed in turns with the c1 run, and back to back right
   * after the first run (`hot`; the floor itself when there is no c1 run).
   */
  floors: Map<string, Baseline>;
  /** naive baselines by `variantKey`: once per run (seconds per call at 3M rows). */
  naive: Map<string, Baseline>;
  /** Variants' `local` timings (the API's own code in this process) by `variantKey`: once per run. */
  local: Map<string, Baseline>;
  skipped: Skipped[];
  /** Mode → what the Worker connected through. */
  modes: Map<Mode, string>;
}

export const variantKey = (id: string, label: string) => `${id}/${label}`;
export const floorKey = (id: string, label: string, mode: Mode) => `${variantKey(id, label)}@${mode}`;

/** Probe, prepare (once per run), then each variant; then the scenario's clean-up, whatever happened. */
export async function runScenario(ctx: BenchContext, scenario: Scenario, mode: Mode, opts: BenchOptions, out: RunOutcome): Promise<void> {
  // Registered before the probe, which may already write; run by cleanupAll on Ctrl-C.
  const finish = scenario.finish ? onCleanup(`${scenario.id} clean-up`, () => scenario.finish!(ctx)) : undefined;
  try {
    await measureScenario(ctx, scenario, mode, opts, out);
  } finally {
    try {
      await finish?.();
    } catch (err) {
      // Rows left behind change what the next scenarios and runs read: the run fails.
      const reason = `clean-up failed: ${String((err as Error).message ?? err).slice(0, 300)}`;
      ctx.log(`${scenario.id}: ${reason}`);
      out.skipped.push({ id: scenario.id, mode, reason, failure: true });
    }
  }
}

async function measureScenario(ctx: BenchContext, scenario: Scenario, mode: Mode, opts: BenchOptions, out: RunOutcome): Promise<void> {
  const probed = await probe(ctx, scenario);
  if (!probed.ok) {
    ctx.log(`${scenario.id}: skipped in ${mode} mode (${probed.reason})`);
    out.skipped.push({ id: scenario.id, mode, reason: probed.reason, failure: probed.failure });
    return;
  }
  try {
    await scenario.prepare?.(ctx);
  } catch (err) {
    const reason = `preparing failed: ${String((err as Error).message ?? err).slice(0, 300)}`;
    ctx.log(`${scenario.id}: skipped in ${mode} mode (${reason})`);
    out.skipped.push({ id: scenario.id, mode, reason, failure: true });
    return;
  }
  for (const variant of scenario.variants) await runVariant(ctx, scenario, variant, mode, opts, out);
}

/**
 * Each concurrency under load. The db floor is timed in turns with the c1 run it is compared
 * with, so both see the same state of a shared, noisy box, and back to back right after the
 * first run (the stricter goal's floor; the only one without a c1 run); naive once per run.
 */
async function runVariant(ctx: BenchContext, scenario: Scenario, variant: Variant, mode: Mode, opts: BenchOptions, out: RunOutcome): Promise<void> {
  const key = variantKey(scenario.id, variant.label);
  let backToBack: Baseline | undefined;
  let inTurns: Measured['load'] | undefined;
  const levels = opts.concurrency.filter((c) => !variant.concurrency || variant.concurrency.includes(c));
  if (!levels.length) ctx.log(`  ${scenario.id} [${variant.label}] runs at concurrency ${variant.concurrency!.join(', ')} only: not in this run`);
  for (const concurrency of levels) {
    if (stopping()) throw new Error('stopped');
    const measured = await measureLoad(ctx, scenario, variant, mode, concurrency, opts);
    out.measured.push(measured);
    inTurns ??= measured.paired?.floor;
    if (concurrency === levels[0] && variant.floor) {
      backToBack = await measureBaseline('db floor', ctx, variant.floor, opts);
      if (backToBack.summary)
        ctx.log(`  ${scenario.id} [${variant.label}] db floor back to back: p50 ${backToBack.summary.p50_ms} ms, p95 ${backToBack.summary.p95_ms} ms`);
    }
  }
  if (backToBack) {
    const failed = inTurns?.errors ? { note: `db floor: ${inTurns.errors} calls in turns failed` } : {};
    out.floors.set(floorKey(scenario.id, variant.label, mode), inTurns ? { summary: inTurns, hot: backToBack.summary, ...failed } : backToBack);
  }
  if (variant.local && !out.local.has(key) && !stopping()) {
    const local = await measureBaseline('local', ctx, variant.local.factory, opts);
    out.local.set(key, local);
    if (local.summary) ctx.log(`  ${scenario.id} [${variant.label}] ${variant.local.what}: p50 ${local.summary.p50_ms} ms, p95 ${local.summary.p95_ms} ms`);
  }
  if (variant.naive && !out.naive.has(key) && !stopping()) {
    const naive = await measureBaseline('naive', ctx, variant.naive, opts);
    out.naive.set(key, naive);
    if (naive.summary) ctx.log(`  ${scenario.id} [${variant.label}] naive: p50 ${naive.summary.p50_ms} ms, p95 ${naive.summary.p95_ms} ms`);
  }
}

/** Every mode in turn: its servers up, every scenario, its servers down (also on failure). */
export async function runAll(ctx: BenchContext, scenarios: Scenario[], dbUrl: string, runDir: string, opts: BenchOptions): Promise<RunOutcome> {
  const out: RunOutcome = { measured: [], floors: new Map(), naive: new Map(), local: new Map(), skipped: [], modes: new Map() };
  for (const mode of opts.modes) {
    if (stopping()) throw new Error('stopped');
    if (mode === 'pooled' && !pooledAvailable(ctx.log)) {
      out.skipped.push({ id: '*', mode, reason: 'PgBouncer is not installed (apt-get install -y pgbouncer as root)', failure: false });
      continue;
    }
    ctx.log(`— ${mode} mode —`);
    const server = await startMode(mode, dbUrl, runDir, ctx.log);
    out.modes.set(mode, server.via);
    try {
      ctx.baseUrl = server.baseUrl;
      ctx.serverPid = server.pid;
      ctx.inspectorPort = server.inspectorPort;
      for (const scenario of scenarios) await runScenario(ctx, scenario, mode, opts, out);
    } finally {
      await server.stop();
    }
  }
  return out;
}
