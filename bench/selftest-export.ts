// The `export` scenario's part of the selftest (bench/selftest.ts): its goal's rule, its sizes,
// and what the quick run wrote about its jobs.
import { type ExportFacts, LARGE_LABEL, SMALL_LABEL, sizes } from './lib/export-scenario';
import { exportGoal } from './lib/goals';
import type { Row } from './lib/results';
import type { BenchResults } from './lib/schema';

type Check = (ok: boolean, what: string) => void;

const facts = (
  rows: number,
  seconds: number,
  before: number,
  peak: number,
  status = 'succeeded',
  heap: { before: number; peak: number } | null = null,
): ExportFacts => ({
  target: rows,
  expected: rows,
  rows,
  status,
  error: status === 'succeeded' ? null : 'boom',
  seconds,
  jobSeconds: seconds,
  rowsPerS: Math.round(rows / seconds),
  jobRowsPerS: Math.round(rows / seconds),
  queuedSeconds: 0.2,
  bytes: rows * 60,
  parts: 1,
  rssBeforeMb: before,
  rssPeakMb: peak,
  growthMb: peak - before,
  samples: 10,
  workerdPids: [1],
  heapBeforeMb: heap?.before ?? null,
  heapPeakMb: heap?.peak ?? null,
});

const row = (label: string, f: ExportFacts): Row => ({
  label,
  result: { id: 'export', mode: 'pooled', concurrency: 1, p50_ms: f.seconds * 1000, p95_ms: f.seconds * 1000, p99_ms: f.seconds * 1000, rps: 1, errors: 0 },
  exported: f,
});

/** The rule: ≥ 100k rows/s at 1M, and the 1M peak over the 100k job's base ≤ 1.5 × its growth + 20 MB. */
export function checkExportGoal(check: Check): void {
  const small = facts(100_000, 0.8, 300, 330);
  const met = exportGoal([row(SMALL_LABEL, small), row(LARGE_LABEL, facts(1_000_000, 8, 302, 360))]);
  check(met.status === 'pass', `export: 125k rows/s and +60 ≤ 1.5 × 30 + 20 MB over the 100k base passes (${met.detail})`);
  check(exportGoal([row(SMALL_LABEL, small), row(LARGE_LABEL, facts(1_000_000, 12, 302, 360))]).status === 'fail', 'export: 83k rows/s at 1M fails');
  // Only 30 MB over its own base, but 70 over the 100k job's: memory the small job kept cannot hide growth.
  const kept = exportGoal([row(SMALL_LABEL, small), row(LARGE_LABEL, facts(1_000_000, 8, 340, 370))]);
  check(kept.status === 'fail' && kept.detail.includes('+70 MB at 1,000,000'), `export: growth is measured from the 100k job's base (${kept.detail})`);
  check(
    exportGoal([row(SMALL_LABEL, small), row(LARGE_LABEL, facts(1_000_000, 8, 302, 310, 'failed'))]).status === 'fail',
    'export: a failed 1M job fails, whatever its numbers',
  );
  check(exportGoal([row(SMALL_LABEL, small)]).status === 'not measured', 'export: no 1M job, not measured');
  // With the isolate's heap measured, it decides; the process's RSS (simulators included) is reported.
  const heapSmall = facts(100_000, 0.8, 300, 330, 'succeeded', { before: 20, peak: 40 });
  const flatHeap = exportGoal([row(SMALL_LABEL, heapSmall), row(LARGE_LABEL, facts(1_000_000, 8, 302, 420, 'succeeded', { before: 21, peak: 45 }))]);
  check(flatHeap.status === 'pass' && flatHeap.detail.includes('isolate JS heap'), `export: a flat isolate heap passes though RSS grew (${flatHeap.detail})`);
  const grownHeap = exportGoal([row(SMALL_LABEL, heapSmall), row(LARGE_LABEL, facts(1_000_000, 8, 302, 320, 'succeeded', { before: 21, peak: 100 }))]);
  check(grownHeap.status === 'fail', `export: an isolate heap growing with the rows fails (${grownHeap.detail})`);
  const [s, l] = sizes(1_484_679);
  const [qs, ql] = sizes(9889);
  check(s === 100_000 && l === 1_000_000 && ql === 9000 && qs === 900, `export sizes: 100k and 1M, scaled down on a small org (${qs}, ${ql})`);
}

/** Both jobs of every mode succeeded, memory was sampled and the smaller file's lines matched its rows. */
export function checkExportResults(check: Check, res: BenchResults, md: string): void {
  const modes = [...new Set(res.scenarios.map((s) => s.mode))];
  for (const mode of modes) {
    const jobs = res.scenarios.filter((s) => s.id === 'export' && s.mode === mode);
    check(jobs.length === 2 && jobs.every((s) => s.concurrency === 1), `${mode}: export measured two jobs at c1 (${jobs.length})`);
    for (const label of [SMALL_LABEL, LARGE_LABEL]) {
      const notes = jobs.find((s) => s.notes?.startsWith(`${label}: `))?.notes ?? '';
      const job = jobs.find((s) => s.notes?.startsWith(`${label}: `));
      check(
        !!job && job.errors === 0 && /poll that saw succeeded/.test(notes) && (job.rows_per_s ?? 0) > 0,
        `${mode}: export [${label}] succeeded, rows/s reported (${job?.rows_per_s ?? '–'})`,
      );
      check(/workerd RSS [\d.]+ MB before, peak [\d.]+ MB/.test(notes), `${mode}: export [${label}] sampled workerd's memory`);
    }
    const small = jobs.find((s) => s.notes?.startsWith(`${SMALL_LABEL}: `))?.notes ?? '';
    check(
      /data lines: match the job/.test(small),
      `${mode}: export's downloaded file gunzips to its header and the job's rows (${/([\d,]+) data lines/.exec(small)?.[1] ?? '–'} lines)`,
    );
  }
  check(md.includes('## Exports (rows/s, memory)') && /\| export ≥ 100k rows\/s/.test(md), 'latest.md has the exports table and the export goal');
}
