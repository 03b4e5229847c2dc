import { type DatasetFacts, REFERENCE_LABEL } from './context';
import type { ExportFacts } from './export-scenario';
import type { LatencySummary } from './histogram';
import { differenceInterval, intervalText, ratioInterval } from './interval';
import type { Machine } from './machine';
import { type Measured, tallyText } from './measure-scenario';
import { floorKey, type RunOutcome, variantKey } from './runner';
import { BenchResults, type ScenarioResult } from './schema';
import type { WorkflowFacts } from './workflow-scenario';

/** A result line plus what the markdown and chart show beyond BENCH.md's JSON shape. */
export interface Row {
  result: ScenarioResult;
  label: string;
  floorDb?: LatencySummary;
  /** The db floor timed back to back (hot caches), where it was also timed in turns. */
  floorHot?: LatencySummary;
  naive?: LatencySummary;
  /** The edge floor it is compared with: `empty` measured in turns with it (c1), else the `empty` row of its mode and concurrency. */
  edge?: ScenarioResult;
  /** The variant measured in turns with it at c1: the first page (`deep`, `count`), or the one it names (`sharing`). */
  reference?: ScenarioResult;
  /** That variant's label. */
  referenceLabel?: string;
  /**
   * 95 % intervals of its comparisons with what it was measured in turns with (rounds
   * resampled, see interval.ts): p95 ÷ the empty route's p95, p50 ÷ the first page's p50; with
   * a named reference, p95 ÷ its p95 and the p50 and p95 differences in ms.
   */
  intervals?: {
    p95VsEdge?: [number, number];
    p50VsReference?: [number, number];
    p95VsReference?: [number, number];
    p50MinusReference?: [number, number];
    p95MinusReference?: [number, number];
  };
  /** Measured in turns with a tally: what answered its requests, and its reference's. */
  tally?: Record<string, number>;
  referenceTally?: Record<string, number>;
  /** Measured in turns with a timing: the durations the Worker reported in its answers. */
  timing?: LatencySummary;
  /** The variant's `local` timing (the API's own code in this process), and what it times. */
  local?: LatencySummary & { what: string };
  /** Measured by a variant's own loop (`mix`): answers older than the write the request named. */
  stale?: number;
  /** An `export` job: rows, times, workerd memory, the download. */
  exported?: ExportFacts;
  /** A `workflow` variant's runs: queue latency per queue, step durations, end to end, the queue settings. */
  workflow?: WorkflowFacts;
}

/** How a row's reference is named in notes: "the first page" for `deep` and `count`. */
export const referenceName = (label: string | undefined) => (label === undefined || label === REFERENCE_LABEL ? 'the first page' : label);

function asResult(m: Measured, id: ScenarioResult['id'], load: Measured['load']): ScenarioResult {
  const { p50_ms, p95_ms, p99_ms, rps, errors } = load;
  return { id, mode: m.mode, concurrency: m.concurrency, p50_ms, p95_ms, p99_ms, rps, errors };
}

/** Rows written per second, for variants that write: 2xx answers per second × the rows each one wrote. */
export function rowsPerSecond(okRps: number, rowsPerRequest: number | undefined): number | undefined {
  return rowsPerRequest === undefined ? undefined : Math.round(okRps * rowsPerRequest * 10) / 10;
}

/** Paths for humans: a 150-character cursor says less than its depth. */
export function displayPath(path: string): string {
  return path.replace(/cursor=[^&]+/, 'cursor=<deep>');
}

function notesFor(m: Measured, floorDb?: LatencySummary, floorHot?: LatencySummary, naive?: LatencySummary, extra: string[] = []): string {
  const prefer = m.request.headers?.Prefer ? ` with Prefer: ${m.request.headers.Prefer}` : '';
  const parts = [`${m.variant.label}: ${m.request.method ?? 'GET'} ${displayPath(m.request.path)}${prefer}`];
  if (floorDb)
    parts.push(`db floor p95 ${floorDb.p95_ms} ms${floorHot ? ` (in turns; back to back p50 ${floorHot.p50_ms} ms, p95 ${floorHot.p95_ms} ms)` : ''}`);
  if (naive) parts.push(`naive p95 ${naive.p95_ms} ms (${naive.count} calls)`);
  const statuses = Object.entries(m.load.statuses).map(([s, n]) => `${s}×${n}`);
  if (statuses.length) parts.push(`non-2xx: ${statuses.join(', ')}`);
  if (m.load.cutOff.length)
    parts.push(`${m.load.cutOff.length} request(s) unanswered at the end of the run after ${m.load.cutOff.join(', ')} ms, counted at that wait`);
  if (m.notes) parts.push(m.notes);
  if (m.load.notes) parts.push(m.load.notes);
  return [...parts, ...extra].join('; ');
}

/**
 * The intervals of a concurrency-1 row's comparisons with what it took turns with. A named
 * reference (not the first page) is compared by its p95 ratio and by the differences.
 */
export function pairedIntervals(m: Pick<Measured, 'load' | 'paired' | 'referenceLabel'>): NonNullable<Row['intervals']> {
  const own = m.load.rounds;
  const edge = m.paired?.edge?.rounds;
  const reference = m.paired?.reference?.rounds;
  const named = m.referenceLabel !== undefined && m.referenceLabel !== REFERENCE_LABEL;
  const found = {
    p95VsEdge: own && edge ? ratioInterval(own, edge, 0.95) : null,
    p50VsReference: own && reference && !named ? ratioInterval(own, reference, 0.5) : null,
    p95VsReference: own && reference && named ? ratioInterval(own, reference, 0.95) : null,
    p50MinusReference: own && reference && named ? differenceInterval(own, reference, 0.5) : null,
    p95MinusReference: own && reference && named ? differenceInterval(own, reference, 0.95) : null,
  };
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== null)) as NonNullable<Row['intervals']>;
}

export function buildRows(outcome: RunOutcome): Row[] {
  const edgeOf = (m: Measured) => outcome.measured.find((e) => e.scenario.id === 'empty' && e.mode === m.mode && e.concurrency === m.concurrency);
  const rows: Row[] = outcome.measured.map((m) => {
    const floor = outcome.floors.get(floorKey(m.scenario.id, m.variant.label, m.mode));
    const naive = outcome.naive.get(variantKey(m.scenario.id, m.variant.label));
    const local = m.variant.local ? outcome.local.get(variantKey(m.scenario.id, m.variant.label)) : undefined;
    const edgeRow = m.scenario.id === 'empty' ? undefined : edgeOf(m);
    const edge = m.paired?.edge ? asResult(m, 'empty', m.paired.edge) : edgeRow ? asResult(edgeRow, 'empty', edgeRow.load) : undefined;
    const reference = m.paired?.reference ? asResult(m, m.scenario.id, m.paired.reference) : undefined;
    const result = asResult(m, m.scenario.id, m.load);
    const rows = m.load.rowsPerSecond ?? rowsPerSecond(m.load.okRps, m.variant.rowsPerRequest);
    if (rows !== undefined) result.rows_per_s = rows;
    if (floor?.summary) result.floor_db_p50_ms = floor.summary.p50_ms;
    if (edge) result.floor_edge_p50_ms = edge.p50_ms;
    if (naive?.summary) result.naive_p50_ms = naive.summary.p50_ms;
    const missing = [floor?.note, naive?.note, local?.note].filter((n): n is string => !!n);
    const refName = referenceName(m.referenceLabel);
    const turns = m.paired?.edge
      ? [
          `measured in turns with the empty route (p50 ${edge!.p50_ms} ms, p95 ${edge!.p95_ms} ms)${reference ? ` and ${refName} (p50 ${reference.p50_ms} ms, p95 ${reference.p95_ms} ms)` : ''}`,
        ]
      : [];
    const intervals = pairedIntervals(m);
    const sure = [
      intervals.p95VsEdge ? `p95 ÷ empty p95: 95 % interval ${intervalText(intervals.p95VsEdge)}` : '',
      intervals.p50VsReference ? `p50 ÷ first page p50: 95 % interval ${intervalText(intervals.p50VsReference)}` : '',
      intervals.p95VsReference ? `p95 ÷ ${refName} p95: 95 % interval ${intervalText(intervals.p95VsReference)}` : '',
      intervals.p50MinusReference ? `p50 − ${refName} p50: 95 % interval ${intervalText(intervals.p50MinusReference)} ms` : '',
      intervals.p95MinusReference ? `p95 − ${refName} p95: 95 % interval ${intervalText(intervals.p95MinusReference)} ms` : '',
    ].filter(Boolean);
    const tally = m.load.tally;
    const referenceTally = m.paired?.reference?.tally;
    const answered = [
      tally ? `answered: ${tallyText(tally)}` : '',
      referenceTally ? `${refName} answered: ${tallyText(referenceTally)}` : '',
      m.load.timing
        ? `Worker-reported ${m.request.timing?.what ?? 'duration'}: p50 ${m.load.timing.p50_ms} ms, p95 ${m.load.timing.p95_ms} ms (${m.load.timing.count} answers)`
        : '',
      local?.summary ? `${m.variant.local!.what}: p50 ${local.summary.p50_ms} ms, p95 ${local.summary.p95_ms} ms (${local.summary.count} calls)` : '',
    ].filter(Boolean);
    result.notes = notesFor(m, floor?.summary, floor?.hot, naive?.summary, [...missing, ...turns, ...sure, ...answered]);
    return {
      result,
      label: m.variant.label,
      floorDb: floor?.summary,
      floorHot: floor?.hot,
      naive: naive?.summary,
      edge,
      reference,
      intervals,
      ...(m.referenceLabel ? { referenceLabel: m.referenceLabel } : {}),
      ...(tally ? { tally } : {}),
      ...(referenceTally ? { referenceTally } : {}),
      ...(m.load.timing ? { timing: m.load.timing } : {}),
      ...(local?.summary ? { local: { ...local.summary, what: m.variant.local!.what } } : {}),
      ...(m.load.stale !== undefined ? { stale: m.load.stale } : {}),
      ...(m.load.exported ? { exported: m.load.exported } : {}),
      ...(m.load.workflow ? { workflow: m.load.workflow } : {}),
    };
  });
  return rows;
}

/** The JSON document, validated against BENCH.md's shape before anything is written. */
export function toResults(at: Date, machine: Machine, dataset: DatasetFacts, rows: Row[]): BenchResults {
  return BenchResults.parse({ at: at.toISOString(), machine, dataset, scenarios: rows.map((r) => r.result) });
}
