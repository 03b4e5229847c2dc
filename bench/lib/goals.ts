import { HIT_LABEL, HITS } from './cache-hit-scenario';
import { REFERENCE_LABEL } from './context';
import { FLAT_FACTOR, FLAT_SLACK_MB, flatLimitMb, LARGE_LABEL, SMALL_LABEL } from './export-scenario';
import { intervalText } from './interval';
import { tallyText } from './measure-scenario';
import { NO_TIERS_LABEL, TIERS_LABEL } from './mix-scenario';
import type { Row } from './results';
import { FROM_MEMORY, FROM_ORG_DO, isMemberFilter, isOrgDo, MEMORY_LABEL } from './sharing-scenario';
import { settingText } from './workflow-scenario';

/**
 * `pass`/`fail` for BENCH.md's goals; `reported` for lines BENCH.md asks to see without a
 * verdict (they never pass or fail); `not measured` when no row measured either yet.
 */
export type GoalStatus = 'pass' | 'fail' | 'not measured' | 'reported';

export interface Goal {
  goal: string;
  status: GoalStatus;
  detail: string;
}

const f = (n: number) => (Math.round(n * 100) / 100).toString();
const x = (n: number) => n.toFixed(2);
const name = (r: Row) => `${r.result.id} [${r.label}]`;
/** ` (ratio 1.87, 95 % interval 1.74–2.01)`, or nothing without an interval. */
const ratioNote = (ratio: number, interval: [number, number] | undefined) => (interval ? ` (ratio ${x(ratio)}, 95 % interval ${intervalText(interval)})` : '');

type Check = { ok: boolean; text: string };

/** Each row's check (ok + how it compares); all must hold; no rows → not measured. */
function all(goal: string, rows: Row[], check: (r: Row) => Check | null): Goal {
  const checks = rows.map((r) => check(r)).filter((c): c is Check => c !== null);
  if (!checks.length) return { goal, status: 'not measured', detail: 'no scenario measured for it yet' };
  return { goal, status: checks.every((c) => c.ok) ? 'pass' : 'fail', detail: checks.map((c) => `${c.text} ${c.ok ? '✓' : '✗'}`).join('; ') };
}

/** A line BENCH.md wants reported, not judged: the numbers, no verdict. */
function reported(goal: string, rows: Row[], describe: (r: Row) => string | null): Goal {
  const parts = rows.map((r) => describe(r)).filter((p): p is string => p !== null);
  if (!parts.length) return { goal, status: 'not measured', detail: 'no scenario measured for it yet' };
  return { goal, status: 'reported', detail: parts.join('; ') };
}

/** A cache-hit row that stands for hits (not its DB-tier reference). */
const isHit = (r: Row) => r.label === HIT_LABEL;

/** A warning when not every answer of a hit row came from the cache. */
function hitsOnly(r: Row): string {
  if (!r.tally) return '';
  const total = Object.values(r.tally).reduce((a, b) => a + b, 0);
  const hits = HITS.reduce((n, t) => n + (r.tally?.[t] ?? 0), 0);
  return hits === total ? '' : ` ⚠ only ${hits} of ${total} answers from a read tier`;
}

/**
 * BENCH.md: "Export ≥ 100k rows/s to gzip CSV with flat peak memory from 100k to 1M rows". The
 * rate is the 1M job's, from the POST's answer to the poll that saw it succeed (the job's own
 * clock is shown beside it). Flat, as a rule (export-scenario.ts): the 1M job's isolate heap peak
 * (workerd RSS when the inspector does not answer) over the base taken before the 100k job ≤
 * 1.5 × the 100k job's growth + 20 MB, and under the isolate's 128 MB.
 */
export const EXPORT_GOAL = `export ≥ 100k rows/s to gzip CSV at 1M rows, flat peak memory from 100k to 1M rows (the 1M job's isolate heap peak (workerd RSS where the inspector does not answer) over the 100k job's base ≤ ${FLAT_FACTOR} × the 100k job's growth + ${FLAT_SLACK_MB} MB)`;

export function exportGoal(rows: Row[]): Goal {
  const small = rows.find((r) => r.label === SMALL_LABEL && r.exported)?.exported;
  const large = rows.find((r) => r.label === LARGE_LABEL && r.exported)?.exported;
  if (!large) return { goal: EXPORT_GOAL, status: 'not measured', detail: 'no 1M-row export measured' };
  const n = (v: number) => v.toLocaleString('en');
  const checks: Check[] = [];
  const failed = large.status !== 'succeeded' ? ` (job ${large.status}${large.error ? `: ${large.error}` : ''})` : '';
  checks.push({
    ok: !failed && large.rowsPerS >= 100_000,
    text: `${n(large.rows)} rows in ${f(large.seconds)} s: ${n(large.rowsPerS)} rows/s ≥ 100,000${large.jobRowsPerS !== null ? ` (job clock ${n(large.jobRowsPerS)} rows/s)` : ''}${failed}`,
  });
  const heap = small && small.heapBeforeMb !== null && small.heapPeakMb !== null && large.heapPeakMb !== null;
  if (small && heap) {
    // The isolate's heap: what the platform's 128 MB limit is about.
    const smallGrowth = Math.round(((small.heapPeakMb as number) - (small.heapBeforeMb as number)) * 10) / 10;
    const grew = Math.round(((large.heapPeakMb as number) - (small.heapBeforeMb as number)) * 10) / 10;
    const limit = flatLimitMb(smallGrowth);
    checks.push({
      ok: small.status === 'succeeded' && grew <= limit && (large.heapPeakMb as number) < 128,
      text: `isolate JS heap in use +${f(smallGrowth)} MB at ${n(small.rows)} rows, +${f(grew)} MB at ${n(large.rows)} (over the same base; peak ${f(large.heapPeakMb as number)} MB < 128) ≤ ${f(limit)} MB`,
    });
  }
  if (!small || small.growthMb === null || small.rssBeforeMb === null || large.rssPeakMb === null) {
    if (!heap) checks.push({ ok: false, text: `peak memory not measured at both sizes${small ? '' : ' (no smaller export)'}` });
  } else {
    const grew = Math.round((large.rssPeakMb - small.rssBeforeMb) * 10) / 10;
    const limit = flatLimitMb(small.growthMb);
    const text = `workerd RSS +${f(small.growthMb)} MB at ${n(small.rows)} rows, +${f(grew)} MB at ${n(large.rows)} (over the same base; +${f(large.growthMb ?? 0)} MB over its own) ≤ ${f(limit)} MB`;
    // With the heap measured, the process's RSS is shown, not judged: it holds the simulators too.
    if (heap)
      checks.push({
        ok: true,
        text: `reported: ${text}${grew <= limit ? '' : ' (not met; the local R2 simulator runs in the same process, and this growth follows the file’s size)'}`,
      });
    else checks.push({ ok: small.status === 'succeeded' && grew <= limit, text });
  }
  return { goal: EXPORT_GOAL, status: checks.every((c) => c.ok) ? 'pass' : 'fail', detail: checks.map((c) => `${c.text} ${c.ok ? '✓' : '✗'}`).join('; ') };
}

/**
 * Issue 25: "Measured and reported: workflow step latency from enqueue to start in wrangler dev,
 * with the queue settings used". Reported, not judged: per concurrency, each queue's enqueuedAt →
 * startedAt p50/p95, the runs end to end, how many runs did not succeed; the settings once.
 */
export const WORKFLOW_GOAL = 'workflows (reported): step latency enqueue→start p50/p95 per queue in wrangler dev, with the queue settings used';

export function workflowGoal(rows: Row[]): Goal {
  const measured = rows.filter((r) => r.workflow);
  if (!measured.length) return { goal: WORKFLOW_GOAL, status: 'not measured', detail: 'no workflow runs measured' };
  const parts = measured.map(({ result: r, workflow: w }) => {
    const queues = Object.entries(w!.queueLatency).map(([q, d]) => `${q} p50 ${f(d.p50_ms)} / p95 ${f(d.p95_ms)} ms (${d.count} steps)`);
    const e = w!.endToEnd;
    const bad = w!.runs + w!.refused - w!.succeeded;
    return (
      `c${r.concurrency}: ${queues.join(', ') || 'no step started'}; run end to end p50 ${e ? f(e.p50_ms) : '–'} / p95 ${e ? f(e.p95_ms) : '–'} ms; ` +
      `${w!.succeeded}/${w!.runs + w!.refused} runs succeeded${bad ? ` ⚠ ${bad} did not` : ''}${w!.retries ? `, ${w!.retries} retries` : ''}`
    );
  });
  const settings = measured[0].workflow!.settings.map(settingText).join('; ');
  return { goal: WORKFLOW_GOAL, status: 'reported', detail: `${parts.join('; ')}; settings: ${settings || 'none found in wrangler.toml'}` };
}

/** `+1.23` ms: a difference with its sign. */
const signed = (n: number) => `${n < 0 ? '−' : '+'}${f(Math.abs(n))}`;

/** Whether every answer of a tally is `want` (the path a sharing row stands for); the text when not. */
function onlyFrom(tally: Record<string, number> | undefined, want: string): string | null {
  if (!tally) return 'where the grants came from was not recorded';
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  const hits = tally[want] ?? 0;
  return total > 0 && hits === total ? null : `only ${hits} of ${total} answers ${want} (${tallyText(tally)}): not a measure of that path`;
}

/**
 * The OrgDO path's cost: the DO row's p50 and p95 minus those of the memory path measured in
 * turns with it, with their intervals; null without that pairing.
 */
function orgDoCost(r: Row): { p50: number; p95: number; text: string } | null {
  if (!r.reference) return null;
  const p50 = r.result.p50_ms - r.reference.p50_ms;
  const p95 = r.result.p95_ms - r.reference.p95_ms;
  const sure = (i: [number, number] | undefined) => (i ? ` (95 % interval ${intervalText(i)})` : '');
  const wrong = [onlyFrom(r.tally, FROM_ORG_DO), onlyFrom(r.referenceTally, FROM_MEMORY)].filter((w): w is string => w !== null);
  const text =
    `${signed(p50)} ms p50${sure(r.intervals?.p50MinusReference)}, ${signed(p95)} ms p95${sure(r.intervals?.p95MinusReference)} over the memory path in turns ` +
    `(OrgDO path p50 ${f(r.result.p50_ms)}, p95 ${f(r.result.p95_ms)} ms; memory path p50 ${f(r.reference.p50_ms)}, p95 ${f(r.reference.p95_ms)} ms)` +
    (wrong.length ? `; ⚠ ${wrong.join('; ')}` : '');
  return { p50, p95, text };
}

/** Rows served from rollups (facets, saved reports) are judged like lists; live ones by their p95. */
const fromRollup = (r: Row) => /rollup/i.test(r.label);

/** What the seeds reported at 10K rows (BENCH.md's last paragraph), per scenario, in ms. */
const SEEDS: Record<string, { what: string; ms: number }> = {
  'search-trgm': { what: 'search', ms: 25 },
  'search-fts': { what: 'search', ms: 25 },
  list: { what: 'list', ms: 35 },
  sharing: { what: 'sharing lookup', ms: 5 },
  facets: { what: 'faceted search', ms: 100 },
  aggregates: { what: 'reports', ms: 500 },
};

/**
 * BENCH.md "Where we aim", pooled mode, in its order. Every ratio is to baselines measured in
 * turns with the row (the c1 edge floor and db floor; the first page for deep and count).
 * Goals whose scenarios did not run say so.
 */
export function evaluateGoals(rows: Row[]): Goal[] {
  const pooled = rows.filter((r) => r.result.mode === 'pooled');
  const c1 = pooled.filter((r) => r.result.concurrency === 1);
  const c8 = pooled.filter((r) => r.result.concurrency === 8);
  const ids = (rs: Row[], ...want: string[]) => rs.filter((r) => want.includes(r.result.id));
  const list = ids(c1, 'list')[0];
  /** The first page measured next to `id`'s variants when the scenario has one, else `list`. */
  const baseline = (id: string) => ids(c1, id).find((r) => r.label === REFERENCE_LABEL) ?? list;
  /** The first page measured in turns with `r` (same seconds of the same machine), as a row. */
  const paired = (r: Row): Row | undefined => (r.reference ? { result: r.reference, label: 'first page, in turns' } : undefined);
  const compared = (id: string) => ids(c1, id).filter((r) => r.label !== REFERENCE_LABEL);
  const ratioShapes = ids(c1, 'list', 'filter', 'appusers', 'search-trgm', 'search-fts');

  /** p50 ≤ 1.5 × (edge floor + db floor), the row's floors measured in turns with it. */
  const p50VsFloors = (r: Row): Check | null => {
    if (!r.edge || r.result.floor_db_p50_ms === undefined) return null;
    const floors = r.edge.p50_ms + r.result.floor_db_p50_ms;
    return { ok: r.result.p50_ms <= 1.5 * floors, text: `${name(r)} ${f(r.result.p50_ms)} ≤ ${f(1.5 * floors)} ms (ratio ${x(r.result.p50_ms / floors)})` };
  };

  return [
    all('c1: list, filter, appusers, search-trgm, search-fts p50 ≤ 1.5 × (edge floor + db floor), both in turns', ratioShapes, p50VsFloors),
    // BENCH.md's ratio uses the floor in turns; the floor timed back to back (its statements
    // 10 s in a row, caches hot) is shown beside it so that neither reading is hidden.
    reported('c1 (reported, not a goal): the same p50 ÷ (edge floor + db floor timed back to back)', ratioShapes, (r) => {
      if (!r.edge || !r.floorHot) return null;
      return `${name(r)} ${f(r.result.p50_ms)} ÷ (${f(r.edge.p50_ms)} + ${f(r.floorHot.p50_ms)}) = ${x(r.result.p50_ms / (r.edge.p50_ms + r.floorHot.p50_ms))}`;
    }),
    // With how far sampling alone could move the ratio (interval.ts): a miss whose interval
    // reaches well below 2 is a different finding from one whose interval sits above it.
    all('c1: list, filter, appusers p95 ≤ 2 × empty p95 (in turns)', ids(c1, 'list', 'filter', 'appusers'), (r) =>
      r.edge
        ? {
            ok: r.result.p95_ms <= 2 * r.edge.p95_ms,
            text: `${name(r)} ${f(r.result.p95_ms)} ≤ ${f(2 * r.edge.p95_ms)} ms${ratioNote(r.result.p95_ms / r.edge.p95_ms, r.intervals?.p95VsEdge)}`,
          }
        : null,
    ),
    // The same limit in ratio terms, p95 ÷ empty p95 ≤ 2 + 2 × db floor p50 ÷ empty p95, so the
    // interval of p95 ÷ empty p95 reads against it.
    all('c1: search-trgm, search-fts p95 ≤ 2 × empty p95 + 2 × db floor p50 (in turns)', ids(c1, 'search-trgm', 'search-fts'), (r) => {
      const db = r.result.floor_db_p50_ms;
      if (!r.edge || db === undefined) return null;
      const limit = 2 * r.edge.p95_ms + 2 * db;
      const sure = r.intervals?.p95VsEdge
        ? ` (p95 ÷ empty p95 ${x(r.result.p95_ms / r.edge.p95_ms)}, 95 % interval ${intervalText(r.intervals.p95VsEdge)}; limit ${x(limit / r.edge.p95_ms)})`
        : '';
      return { ok: r.result.p95_ms <= limit, text: `${name(r)} ${f(r.result.p95_ms)} ≤ 2 × ${f(r.edge.p95_ms)} + 2 × ${f(db)} = ${f(limit)} ms${sure}` };
    }),
    all('c1: deep by cursor p50 ≤ 1.2 × first page p50 (in turns)', compared('deep'), (r) => {
      const ref = paired(r) ?? baseline('deep');
      return ref ? { ok: r.result.p50_ms <= 1.2 * ref.result.p50_ms, text: `${f(r.result.p50_ms)} ≤ ${f(1.2 * ref.result.p50_ms)} ms (${name(ref)})` } : null;
    }),
    // "Costs no more than the first page": met when sampling alone could put the ratio at 1.0
    // (its interval reaches it), or when p50 is within 10 % of the first page's.
    all(
      "c1: count=estimated no slower than the first page (in turns): p50 ratio's 95 % interval reaches 1.0, or p50 ≤ 1.1 ×",
      compared('count').filter((r) => r.label.includes('estimated')),
      (r) => {
        const ref = paired(r) ?? baseline('count');
        if (!ref) return null;
        const ratio = r.result.p50_ms / ref.result.p50_ms;
        const interval = r.reference ? r.intervals?.p50VsReference : undefined;
        const reaches = !!interval && interval[0] <= 1;
        const within = ratio <= 1.1;
        const why = reaches ? 'interval reaches 1.0' : within ? 'within 1.1 ×' : interval ? 'interval above 1.0 and over 1.1 ×' : 'over 1.1 ×, no interval';
        const sure = interval ? `, 95 % interval ${intervalText(interval)}` : '';
        return { ok: reaches || within, text: `${f(r.result.p50_ms)} vs ${f(ref.result.p50_ms)} ms (${name(ref)}): ratio ${x(ratio)}${sure}, ${why}` };
      },
    ),
    all('c1: facets and saved reports from rollups p50 ≤ 1.5 × (edge floor + db floor)', ids(c1, 'facets', 'aggregates').filter(fromRollup), p50VsFloors),
    all(
      'c1: live facets under a filter and aggregates (stats, forecast, kanban) p95 ≤ 50 ms, largest org',
      ids(c1, 'facets', 'aggregates').filter((r) => !fromRollup(r)),
      (r) => ({
        ok: r.result.p95_ms <= 50,
        text: `${name(r)} ${f(r.result.p95_ms)} ms`,
      }),
    ),
    all('c1: edge hit p50 ≤ 1.3 × edge floor', ids(c1, 'cache-hit').filter(isHit), (r) =>
      r.edge ? { ok: r.result.p50_ms <= 1.3 * r.edge.p50_ms, text: `${name(r)} ${f(r.result.p50_ms)} ≤ ${f(1.3 * r.edge.p50_ms)} ms${hitsOnly(r)}` } : null,
    ),
    all(
      'direct: a cache hit ≥ 4 × faster than the DB tier',
      rows.filter((r) => r.result.mode === 'direct' && r.result.concurrency === 1 && r.result.id === 'cache-hit' && isHit(r)),
      (r) =>
        r.reference
          ? {
              ok: r.reference.p50_ms >= 4 * r.result.p50_ms,
              text: `${name(r)} p50 ${f(r.result.p50_ms)} ms, the DB tier in turns ${f(r.reference.p50_ms)} ms (${x(r.reference.p50_ms / r.result.p50_ms)} faster)${hitsOnly(r)}`,
            }
          : null,
    ),
    all("c8: edge hits sustain ≥ 0.8 × the empty route's requests/s", ids(c8, 'cache-hit').filter(isHit), (r) =>
      r.edge ? { ok: r.result.rps >= 0.8 * r.edge.rps, text: `${name(r)} ${Math.round(r.result.rps)} ≥ ${Math.round(0.8 * r.edge.rps)} req/s` } : null,
    ),
    // Issue 24: the tiers must pay off under a realistic mix of reads and writes, and never at
    // the price of an answer older than a write its reader names.
    all(
      'c8: mix (80 % repeated reads, 20 % new, 1 write per 50 reads): read p95 through the tiers < with no-cache on every read; 0 stale answers after X-Min-Generation; 0 errors',
      ids(c8, 'mix').filter((r) => r.label === TIERS_LABEL),
      (r) => {
        const ref = ids(c8, 'mix').find((o) => o.label === NO_TIERS_LABEL);
        if (!ref || r.stale === undefined || ref.stale === undefined) return null;
        const hits = HITS.reduce((n, t) => n + (r.tally?.[t] ?? 0), 0);
        const reads = Object.values(r.tally ?? {}).reduce((a, b) => a + b, 0);
        return {
          ok: r.result.p95_ms < ref.result.p95_ms && r.stale + ref.stale === 0 && r.result.errors + ref.result.errors === 0,
          text:
            `p95 ${f(r.result.p95_ms)} < ${f(ref.result.p95_ms)} ms (ratio ${x(r.result.p95_ms / ref.result.p95_ms)}; p50 ${f(r.result.p50_ms)} vs ${f(ref.result.p50_ms)} ms), ` +
            `${Math.round(reads ? (hits / reads) * 100 : 0)} % of reads from a tier; stale ${r.stale} + ${ref.stale}, errors ${r.result.errors} + ${ref.result.errors}`,
        };
      },
    ),
    // The member's filter against the admin's, the two requests in turns (the admin's is the
    // member row's reference): the price of the member's access predicate in the statement.
    all(
      'sharing: member p95 ≤ 1.5 × admin p95 on the same request (in turns)',
      ids(c1, 'sharing').filter((r) => isMemberFilter(r.label)),
      (r) =>
        r.reference
          ? {
              ok: r.result.p95_ms <= 1.5 * r.reference.p95_ms,
              text: `${name(r)} ${f(r.result.p95_ms)} ≤ 1.5 × ${f(r.reference.p95_ms)} = ${f(1.5 * r.reference.p95_ms)} ms${ratioNote(r.result.p95_ms / r.reference.p95_ms, r.intervals?.p95VsReference)}`,
            }
          : null,
    ),
    // Issue 23's lookup times, as far as they can be measured from outside (bench/README.md, Sharing).
    reported(
      'sharing (reported, not a goal): effective-grant lookup from isolate memory, p95 (issue 23 aims < 1 ms)',
      ids(c1, 'sharing').filter((r) => r.label === MEMORY_LABEL),
      (r) => {
        const inNode = r.local
          ? `in Node, memo + version statement: p50 ${f(r.local.p50_ms)} ms, p95 ${f(r.local.p95_ms)} ms (an upper bound; ${r.local.p95_ms < 1 ? 'under' : 'not under'} 1 ms)`
          : 'not timed in Node';
        const wrong = onlyFrom(r.tally, FROM_MEMORY);
        return `${inNode}; the request from memory: p50 ${f(r.result.p50_ms)}, p95 ${f(r.result.p95_ms)} ms${wrong ? `; ⚠ ${wrong}` : ''}`;
      },
    ),
    reported(
      'sharing (reported, not a goal): effective-grant lookup through the OrgDO, p95 (issue 23 aims < 5 ms)',
      ids(c1, 'sharing').filter((r) => isOrgDo(r.label)),
      (r) => {
        const cost = orgDoCost(r);
        const what = r.label.replace(/^member, grants from the OrgDO, /, '');
        // The Worker's own measure of the wait (Server-Timing access;dur) is the lookup; the
        // difference end to end with the memory path is its upper bound.
        const waited = r.timing
          ? `the Worker waited p50 ${f(r.timing.p50_ms)} ms, p95 ${f(r.timing.p95_ms)} ms for the object (Server-Timing, ${r.timing.count} answers), ${r.timing.p95_ms < 5 ? 'under' : 'not under'} 5 ms at p95`
          : '';
        if (!cost) return waited ? `${what}: ${waited}` : null;
        return `${what}: ${waited ? `${waited}; end to end ` : ''}${cost.text}${waited ? '' : `; an upper bound, ${cost.p95 < 5 ? 'under' : 'not under'} 5 ms at p95`}`;
      },
    ),
    exportGoal(pooled.filter((r) => r.result.id === 'export')),
    workflowGoal(ids(pooled, 'workflow')),
    reported('write (reported, not a goal): PATCH with audit and batch create, rows/s and p95', ids(pooled, 'write'), (r) =>
      r.result.rows_per_s === undefined
        ? null
        : `${name(r)} c${r.result.concurrency} ${Math.round(r.result.rows_per_s)} rows/s, p95 ${f(r.result.p95_ms)} ms${r.result.errors ? `, ${r.result.errors} errors` : ''}`,
    ),
    all('c8: no errors', c8, (r) => ({ ok: r.result.errors === 0, text: `${name(r)} ${r.result.errors}` })),
    // Load generator, workerd, PgBouncer and Postgres share 2 cores: BENCH.md reports these
    // ratios and judges none of them.
    reported(
      'c8 (reported, not a goal): p95 ÷ empty p95',
      // Not workflow runs: their latency is seconds of queue batching, not the request's cost.
      c8.filter((r) => r.result.id !== 'empty' && r.result.id !== 'workflow'),
      (r) => (r.edge ? `${name(r)} ${f(r.result.p95_ms)} ÷ ${f(r.edge.p95_ms)} = ${x(r.result.p95_ms / r.edge.p95_ms)}` : null),
    ),
    // The seeds' 5 ms is a cached sharing lookup (Redis), not a request: it is compared with
    // ours from isolate memory, timed in Node (an upper bound), not with a sharing row's p50.
    // The OrgDO path, once per change and isolate, has its own reported line above.
    all(
      'c1: beat the seeds at 300 × their data, 3M contacts (p50): search 25 ms, list 35 ms, sharing lookup 5 ms, faceted search 100 ms, reports 500 ms',
      ids(c1, ...Object.keys(SEEDS)).filter((r) => r.label !== REFERENCE_LABEL && (r.result.id !== 'sharing' || r.label === MEMORY_LABEL)),
      (r) => {
        const seed = SEEDS[r.result.id];
        if (r.result.id === 'sharing')
          return r.local
            ? { ok: r.local.p50_ms < seed.ms, text: `sharing lookup from isolate memory (in Node, an upper bound) ${f(r.local.p50_ms)} < ${seed.ms} ms` }
            : null;
        return { ok: r.result.p50_ms < seed.ms, text: `${name(r)} ${f(r.result.p50_ms)} < ${seed.ms} ms` };
      },
    ),
  ];
}
