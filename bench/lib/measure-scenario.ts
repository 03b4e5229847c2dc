import { type BenchContext, type HttpRequest, REFERENCE_LABEL, type Scenario, type Variant } from './context';
import type { LatencySummary } from './histogram';
import { type LoadResult, measure } from './load';
import type { BenchOptions, Mode } from './options';
import { type CallSpec, measurePaired, type PairedSpec } from './paired';
import { timeLoop } from './timed-loop';

export type ProbeOutcome = { ok: true } | { ok: false; status: number; reason: string; failure: boolean };

/** The requests that probe a scenario: a GET of its path, or what its probe function gives. */
async function probeRequests(ctx: BenchContext, scenario: Scenario): Promise<HttpRequest[]> {
  const auth: Record<string, string> = scenario.auth ? { Authorization: `Bearer ${ctx.token}` } : {};
  if (typeof scenario.probe === 'string') return [{ path: scenario.probe, headers: auth }];
  return (await scenario.probe(ctx)).map((r) => ({ ...r, headers: { ...auth, ...r.headers } }));
}

/**
 * One request (or a few) before any load: 2xx runs the scenario; 404 means the route is not
 * built yet (skipped, not a failure), as does 405 for a write (its path serves reads only);
 * anything else is a broken route (skipped and a failure).
 */
export async function probe(ctx: BenchContext, scenario: Scenario): Promise<ProbeOutcome> {
  let requests: HttpRequest[];
  try {
    requests = await probeRequests(ctx, scenario);
  } catch (err) {
    return { ok: false, status: 0, reason: `building the probe failed: ${String((err as Error).message ?? err).slice(0, 200)}`, failure: true };
  }
  for (const r of requests) {
    const method = r.method ?? 'GET';
    const what = `${method} ${r.path}`;
    try {
      const res = await fetch(`${ctx.baseUrl}${r.path}`, { method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(60_000) });
      const body = await res.text();
      if (res.status >= 200 && res.status < 300) continue;
      if (res.status === 404 || (res.status === 405 && method !== 'GET'))
        return { ok: false, status: res.status, reason: `${what} answered ${res.status}: route not built yet`, failure: false };
      return { ok: false, status: res.status, reason: `${what} answered ${res.status}: ${body.slice(0, 200)}`, failure: true };
    } catch (err) {
      return { ok: false, status: 0, reason: `${what} failed: ${String(err)}`, failure: true };
    }
  }
  return { ok: true };
}

/** A baseline's latencies, or why it is missing. */
export interface Baseline {
  summary?: LatencySummary;
  /**
   * The db floor timed back to back as well (the same statements 10 s in a row: caches as hot
   * as they get), reported beside the in-turns floor and checked by a stricter goal.
   */
  hot?: LatencySummary;
  note?: string;
}

/**
 * Times a baseline back to back at concurrency 1 on the warm connection. Naive calls can
 * take seconds at 3M rows: one call warms them, then at least 3 are timed.
 */
export async function measureBaseline(
  kind: 'db floor' | 'naive' | 'local',
  ctx: BenchContext,
  factory: NonNullable<Variant['floor']>,
  opts: BenchOptions,
): Promise<Baseline> {
  try {
    const once = await factory(ctx);
    return { summary: await timeLoop(once, { seconds: opts.duration, warmupSeconds: kind === 'naive' ? 0 : Math.min(1, opts.warmup) }) };
  } catch (err) {
    const msg = String((err as Error).message ?? err)
      .split('\n')[0]
      .slice(0, 200);
    ctx.log(`  ${kind} unavailable: ${msg}`);
    return { note: `${kind} unavailable: ${msg}` };
  }
}

export interface Measured {
  scenario: Scenario;
  variant: Variant;
  request: HttpRequest;
  mode: Mode;
  concurrency: number;
  load: LoadResult;
  /**
   * At concurrency 1, what was measured in turns with it (see runPaired): the edge floor
   * (`/empty`), the db floor (the route's own SQL from Node) and, in scenarios that have
   * one, the first page it is compared with.
   */
  paired?: { edge?: LoadResult; reference?: LoadResult; floor?: LoadResult };
  /** The label of the variant measured in turns as `paired.reference`. */
  referenceLabel?: string;
  notes?: string;
}

/**
 * The variant a c1 run takes turns with besides the empty route: the one it names
 * (`reference`), else the scenario's first page (REFERENCE_LABEL) when it has one.
 */
export function referenceOf(scenario: Scenario, variant: Variant): Variant | undefined {
  if (variant.reference) {
    const named = scenario.variants.find((v) => v.label === variant.reference);
    if (!named || named === variant) throw new Error(`${scenario.id} [${variant.label}]: no other variant "${variant.reference}" to take turns with`);
    return named;
  }
  return variant.label === REFERENCE_LABEL ? undefined : scenario.variants.find((v) => v.label === REFERENCE_LABEL);
}

/** The requests a c1 run takes turns with: the empty route, and the variant's reference. */
function companions(ctx: BenchContext, scenario: Scenario, variant: Variant): { edge?: HttpRequest; reference?: HttpRequest } {
  if (scenario.id === 'empty') return {};
  const reference = referenceOf(scenario, variant);
  return { edge: { path: '/empty' }, ...(reference ? { reference: reference.request(ctx) } : {}) };
}

/**
 * The order of a c1 run's turns over specs [route, empty, reference?] (+ the db floor at
 * `floor`). The empty route sits between any two database requests: a request's connection
 * is closed after its response (waitUntil), and that work must not land on one side's next
 * request only. The db floor (from this process, nothing left behind) closes a round. With a
 * reference, the second round swaps it with the route, so neither is always the one after
 * the floor's call: the two differ by what they do, not by their place.
 */
export function turnOrder(requests: number, floor?: number): number[] {
  const f = floor === undefined ? [] : [floor];
  if (requests === 3) return [0, 1, 2, 1, ...f, 2, 1, 0, 1, ...f];
  return [...Array.from({ length: requests }, (_, i) => i), ...f];
}

/** The db floor as a turn: the variant's own statements, called from this process (none if they fail; the back-to-back timing says why). */
async function floorTurn(ctx: BenchContext, variant: Variant): Promise<CallSpec | undefined> {
  if (!variant.floor) return undefined;
  try {
    const once = await variant.floor(ctx);
    await once();
    return { call: once };
  } catch {
    return undefined;
  }
}

/** `memory ×812, durable-object ×3`: what answered, most first. */
export function tallyText(tally: Record<string, number>): string {
  const entries = Object.entries(tally).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => `${k} ×${n}`).join(', ') : 'nothing';
}

/** The API under load at one concurrency: warm-up, then the measured run. */
export async function measureLoad(
  ctx: BenchContext,
  scenario: Scenario,
  variant: Variant,
  mode: Mode,
  concurrency: number,
  opts: BenchOptions,
): Promise<Measured> {
  const request = variant.request(ctx);
  const notes = typeof variant.notes === 'function' ? variant.notes(ctx) : variant.notes;
  const spec = (r: HttpRequest) => ({
    url: `${ctx.baseUrl}${r.path}`,
    // Postgres, not the edge tiers, unless the request is there to measure a tier.
    headers: r.tiers ? (r.headers ?? {}) : { 'Cache-Control': 'no-cache', ...r.headers },
    method: r.method,
    body: r.body,
    next: r.next,
    before: r.before,
    tally: r.tally,
    timing: r.timing?.from,
  });
  let load: LoadResult;
  let paired: Measured['paired'];
  let referenceLabel: string | undefined;
  const inTurns = concurrency === 1 && !scenario.alone;
  if (request.before && !inTurns)
    throw new Error(`${scenario.id} [${variant.label}]: a request with a step before each send runs in turns only (concurrency 1)`);
  if (variant.run) {
    load = await variant.run(ctx, concurrency, { seconds: opts.duration, warmupSeconds: opts.warmup });
  } else if (inTurns) {
    const withIt = companions(ctx, scenario, variant);
    const floor = withIt.edge ? await floorTurn(ctx, variant) : undefined;
    const keys = Object.keys(withIt) as Array<keyof typeof withIt>;
    const specs: Array<PairedSpec | CallSpec> = [spec(request), ...keys.map((k) => spec(withIt[k]!))];
    const turns = turnOrder(specs.length, floor ? specs.push(floor) - 1 : undefined);
    const [own, ...others] = await measurePaired(specs, opts.duration, opts.warmup, turns);
    load = own;
    if (keys.length) paired = Object.fromEntries(keys.map((k, i) => [k, others[i]]));
    if (floor) paired = { ...paired, floor: others[keys.length] };
    if (withIt.reference) referenceLabel = referenceOf(scenario, variant)!.label;
  } else {
    load = await measure({ ...spec(request), connections: concurrency, seconds: opts.duration }, opts.warmup);
  }
  ctx.log(
    `  ${scenario.id} [${variant.label}] ${mode} c${concurrency}: p50 ${load.p50_ms} ms, p95 ${load.p95_ms} ms, p99 ${load.p99_ms} ms, ${load.rps} req/s, ${load.errors} errors${load.cutOff.length ? `, ${load.cutOff.length} cut off after ${load.cutOff.join(', ')} ms` : ''}${load.tally ? `; ${tallyText(load.tally)}` : ''}${load.timing ? `; Worker-reported p50 ${load.timing.p50_ms} ms, p95 ${load.timing.p95_ms} ms` : ''}${load.notes ? `; ${load.notes}` : ''}`,
  );
  if (paired?.edge) {
    const reference = referenceLabel === REFERENCE_LABEL ? 'first page' : referenceLabel;
    const also = [
      paired.floor ? `db floor p50 ${paired.floor.p50_ms} ms` : '',
      paired.reference ? `${reference} p50 ${paired.reference.p50_ms} ms, p95 ${paired.reference.p95_ms} ms` : '',
    ].filter(Boolean);
    ctx.log(`    in turns: edge floor p50 ${paired.edge.p50_ms} ms, p95 ${paired.edge.p95_ms} ms${also.length ? `; ${also.join('; ')}` : ''}`);
  }
  return { scenario, variant, request, mode, concurrency, load, paired, referenceLabel, notes };
}
