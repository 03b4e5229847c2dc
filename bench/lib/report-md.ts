import type { Goal } from './goals';
import type { Row } from './results';
import type { Skipped } from './runner';
import type { BenchResults } from './schema';
import { settingText } from './workflow-scenario';

export interface ReportMeta {
  database: string;
  seed: number;
  largestSlug: string;
  databaseSize: string;
  sharedBuffers: string;
  passwordHash: string;
  postgresStartedHere: boolean;
  modes: Map<string, string>;
  duration: number;
  warmup: number;
  concurrency: number[];
}

const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const ratio = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)}×`);
const int = (n: number) => n.toLocaleString('en');

function header(res: BenchResults, meta: ReportMeta): string[] {
  const d = res.dataset;
  const m = res.machine;
  const modes = [...meta.modes].map(([mode, via]) => `**${mode}**: Worker → ${via}`);
  return [
    `# Benchmark results — ${res.at}`,
    '',
    `- **Dataset**: ${int(d.contacts)} contacts in ${int(d.orgs)} orgs (largest org \`${meta.largestSlug}\`: ${int(d.largest_org_contacts)} contacts), seed ${meta.seed}, database \`${meta.database}\``,
    `- **Machine**: ${m.cores} cores, ${m.memory_gb} GB memory, Node ${m.node}, ${m.postgres}`,
    `- **Postgres shared_buffers**: ${meta.sharedBuffers} for a database of ${meta.databaseSize}${meta.postgresStartedHere ? ' (server started by the bench)' : ' (server was already running; its settings were kept)'}`,
    `- **Modes**: ${modes.join('; ') || 'none ran'}. A new Postgres connection authenticates against a password stored as ${meta.passwordHash}.`,
    `- **Load**: autocannon in the bench process against \`wrangler dev\`, ${meta.duration} s per run after ${meta.warmup} s of warm-up, concurrency ${meta.concurrency.join(' and ')}; latencies of 2xx responses in an HDR histogram (µs resolution). Load generator and server share the machine.`,
    "- **Baselines**: *edge floor* = `empty` in the same mode and concurrency; at concurrency 1 it is measured in turns with each route (one request each on one keep-alive connection, alternating), as is the first page that `deep` and `count` are compared with, so a comparison never spans minutes of a drifting machine (the rps of a c1 row is therefore its share of the turns); *db floor* = the API's own SQL (its service code run from Node) on a warm `pg` connection, at concurrency 1 in turns with the route's concurrency-1 run (route, empty, …, db floor: the same seconds of the machine); *naive* = the seeds' \"before\" (`ILIKE` no index can serve, `OFFSET`, `COUNT(*)` per page, one query per row for address and relationships) on a warm connection, one call at a time (so *naive ÷ API* is given at concurrency 1 only).",
    '',
  ];
}

function goalsTable(goals: Goal[]): string[] {
  // Reported lines carry numbers BENCH.md wants seen but does not judge: no pass, no fail.
  const mark = { pass: '✅ pass', fail: '❌ fail', 'not measured': '— not measured', reported: 'ℹ️ reported' } as const;
  return [
    '## Goals (BENCH.md "Where we aim", pooled mode)',
    '',
    'Ratios are to baselines measured in turns with the row. Lines marked *reported* are numbers BENCH.md asks to see, not goals: they have no pass or fail.',
    '',
    '| goal | result | detail |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${mark[g.status]} | ${g.detail} |`),
    '',
  ];
}

function resultsTable(rows: Row[]): string[] {
  const lines = [
    '## Results (ms)',
    '',
    '| scenario | mode | conc | p50 | p95 | p99 | rps | errors | db floor | edge floor | p50 ÷ (edge+db floor) | naive p50 | naive ÷ API |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { result: r, label } of rows) {
    const floors = r.floor_db_p50_ms !== undefined && r.floor_edge_p50_ms !== undefined ? r.p50_ms / (r.floor_db_p50_ms + r.floor_edge_p50_ms) : undefined;
    // naive is timed one call at a time, so it is compared with the API at concurrency 1 only.
    const naive = r.naive_p50_ms !== undefined && r.p50_ms > 0 && r.concurrency === 1 ? r.naive_p50_ms / r.p50_ms : undefined;
    const cells = [
      `${r.id} (${label})`,
      r.mode,
      r.concurrency,
      ms(r.p50_ms),
      ms(r.p95_ms),
      ms(r.p99_ms),
      Math.round(r.rps),
      r.errors,
      ms(r.floor_db_p50_ms),
      ms(r.floor_edge_p50_ms),
      ratio(floors),
      ms(r.naive_p50_ms),
      ratio(naive),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return [...lines, ''];
}

/** Writes are judged by throughput: rows/s beside latency, for the rows that write only. */
export function writesTable(rows: Row[]): string[] {
  const writes = rows.filter((r) => r.result.rows_per_s !== undefined && !r.exported);
  if (!writes.length) return [];
  const lines = [
    '## Writes (rows/s)',
    '',
    'Each concurrency measured alone (not in turns), so requests/s is throughput; rows/s counts 2xx answers only, × the rows each one wrote.',
    '',
    '| write | mode | conc | rows/s | requests/s | p50 | p95 | p99 | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { result: r, label } of writes) {
    const cells = [
      `${r.id} (${label})`,
      r.mode,
      r.concurrency,
      int(Math.round(r.rows_per_s!)),
      Math.round(r.rps),
      ms(r.p50_ms),
      ms(r.p95_ms),
      ms(r.p99_ms),
      r.errors,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return [...lines, ''];
}

/** Export jobs: rows/s both ways, workerd memory, the file. */
export function exportsTable(rows: Row[]): string[] {
  const jobs = rows.filter((r) => r.exported);
  if (!jobs.length) return [];
  const lines = [
    '## Exports (rows/s, memory)',
    '',
    "One job per line at concurrency 1: rows/s from the POST's answer to the poll (every 200 ms) that saw the job end, and by the job's own createdAt → completedAt; workerd's resident memory (VmRSS, every 100 ms) just before the POST, its peak during the job and the difference; the smaller file downloaded and gunzipped here.",
    '',
    '| export | mode | status | rows | s | rows/s | rows/s (job clock) | RSS before MB | peak MB | growth MB | file bytes | ratio | download check |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const opt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : int(v));
  for (const { result: r, label, exported: e } of jobs) {
    const d = e!.download;
    const cells = [
      `${r.id} (${label})`,
      r.mode,
      e!.status,
      int(e!.rows),
      e!.seconds.toFixed(2),
      int(e!.rowsPerS),
      opt(e!.jobRowsPerS),
      e!.rssBeforeMb ?? '–',
      e!.rssPeakMb ?? '–',
      e!.growthMb ?? '–',
      int(e!.bytes),
      d ? `${d.ratio.toFixed(2)}×` : '–',
      d ? `${int(d.rows)} data lines ${d.matches ? '= job rows ✓' : '≠ job ✗'}` : '–',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return [...lines, ''];
}

/** Workflow runs: queue latency per queue, step duration per action, runs end to end; the queue settings. */
export function workflowsTable(rows: Row[]): string[] {
  const measured = rows.filter((r) => r.workflow);
  if (!measured.length) return [];
  const lines = [
    '## Workflows (step latency)',
    '',
    "Steps' own timestamps (Postgres `now()`, to the millisecond): queue latency = startedAt − enqueuedAt, duration = finishedAt − startedAt; a run end to end = the POST sent → its last step's finishedAt. Concurrency 1 runs one after another; concurrency 8 starts rounds of 8 at once.",
    '',
    '| workflow | mode | conc | runs ok / started | retries | measure | n | p50 | p95 | max |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const { result: r, label, workflow: w } of measured) {
    const head = [`${r.id} (${label})`, r.mode, r.concurrency, `${w!.succeeded} / ${w!.runs + w!.refused}`, w!.retries];
    const measures: Array<[string, { count: number; p50_ms: number; p95_ms: number; max_ms: number } | null]> = [
      ...Object.entries(w!.queueLatency).map(([q, d]) => [`queue latency ${q}`, d] as [string, typeof d]),
      ...Object.entries(w!.stepDuration).map(([a, d]) => [`step duration ${a}`, d] as [string, typeof d]),
      ['run end to end', w!.endToEnd],
      ["run's own clock", w!.runClock],
    ];
    for (const [what, d] of measures) lines.push(`| ${[...head, what, d ? d.count : 0, ms(d?.p50_ms), ms(d?.p95_ms), ms(d?.max_ms)].join(' | ')} |`);
  }
  const settings = measured[0].workflow!.settings;
  lines.push(
    '',
    `Queue settings (wrangler.toml \`[[queues.consumers]]\`, as \`wrangler dev\` ran them): ${settings.map(settingText).join('; ') || 'none found'}.`,
  );
  return [...lines, ''];
}

function skippedList(skipped: Skipped[]): string[] {
  if (!skipped.length) return [];
  // One line per scenario and reason, listing the modes it applied to.
  const merged = new Map<string, Skipped & { modes: string[] }>();
  for (const s of skipped) {
    const key = `${s.id}\u0000${s.reason}`;
    const entry = merged.get(key) ?? { ...s, modes: [] };
    entry.modes.push(s.mode);
    merged.set(key, entry);
  }
  return ['## Skipped', '', ...[...merged.values()].map((s) => `- **${s.id}** (${s.modes.join(', ')})${s.failure ? ' — FAILURE' : ''}: ${s.reason}`), ''];
}

export function renderMarkdown(res: BenchResults, rows: Row[], goals: Goal[], skipped: Skipped[], meta: ReportMeta): string {
  const notes = rows.map((r) => `- ${r.result.id} ${r.result.mode} c${r.result.concurrency}: ${r.result.notes ?? ''}`);
  return [
    ...header(res, meta),
    ...goalsTable(goals),
    ...resultsTable(rows),
    ...writesTable(rows),
    ...exportsTable(rows),
    ...workflowsTable(rows),
    ...skippedList(skipped),
    '## Notes',
    '',
    ...notes,
    '',
    '![p50/p95 per scenario against the baselines]({{svg}})',
    '',
  ].join('\n');
}
