/**
 * The `export` scenario (BENCH.md: "1M rows to gzip CSV: rows/s and peak memory"; goal: "Export
 * ≥ 100k rows/s to gzip CSV with flat peak memory from 100k to 1M rows"). An export is a job,
 * not a request: `POST /v1/exports` answers 202, the crm-exports queue consumer inside the same
 * `wrangler dev` runs it, and the client polls `GET /v1/exports/{id}` until it ends. So the
 * scenario runs its own loop (like `mix`), one job per variant, at concurrency 1 only:
 *
 * - the rows: the N oldest contacts of the bench org (`created_at=lte.<the N-th oldest's
 *   created_at>&order=created_at.asc`, the bound read from Postgres to the microsecond), 10
 *   columns, CSV, gzip;
 * - rows/s two ways: rows ÷ (the POST's answer → the poll that saw `succeeded`, polls every
 *   200 ms), and rows ÷ (the job's own `createdAt` → `completedAt`);
 * - memory: the resident set (VmRSS) of the workerd process(es) under the bench's `wrangler
 *   dev`, sampled every 100 ms from before the POST to the end: the peak minus the value just
 *   before the job;
 * - the smaller export is downloaded once, gunzipped here and its lines counted (header + rows
 *   must equal the job's rows): file size and compression ratio.
 *
 * Before the measured jobs, one small warm-up export (discarded): the consumer's code is
 * compiled and the isolate's one-off allocations are made before the first base is taken.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import WebSocket from 'ws';
import type { BenchContext, HttpRequest, Scenario, Variant } from './context';
import { round } from './histogram';
import type { LoadResult } from './load';
import { sleep } from './process';

/** Sizes the goal names; on a smaller dataset both shrink by the same factor (see `sizes`). */
export const SMALL_ROWS = 100_000;
export const LARGE_ROWS = 1_000_000;
export const SMALL_LABEL = 'gzip CSV, 100k rows';
export const LARGE_LABEL = 'gzip CSV, 1M rows';
/** Ten columns of a contact, as a user exporting a list would pick them. */
export const EXPORT_FIELDS = 'id,first_name,last_name,email,phone,status,lifecycle_stage,source,customer_id,created_at';
const POLL_MS = 200;
const SAMPLE_MS = 100;
const WARMUP_ROWS = 10_000;

/**
 * BENCH.md's "flat peak memory from 100k to 1M rows", as a rule: the large job's peak growth,
 * measured from the same base as the small job's (just before the small job, so memory the small
 * job kept cannot hide growth), is at most 1.5 × the small job's growth + 20 MB. Judged on the
 * Worker isolate's JS heap when the inspector answers (what the 128 MB limit is about), else on
 * workerd's RSS, which also holds the local simulators (R2's among them: its growth follows the file's size).
 */
export const FLAT_FACTOR = 1.5;
export const FLAT_SLACK_MB = 20;
export const flatLimitMb = (smallGrowthMb: number) => FLAT_FACTOR * Math.max(0, smallGrowthMb) + FLAT_SLACK_MB;

/** What one export job measured: what goals.ts and the markdown read (LoadResult.exported). */
export interface ExportFacts {
  /** Rows asked for (the query's bound) and rows the job wrote. */
  target: number;
  expected: number;
  rows: number;
  status: string;
  error: string | null;
  /** POST's answer → the poll that saw it end, and the job's createdAt → completedAt. */
  seconds: number;
  jobSeconds: number | null;
  rowsPerS: number;
  jobRowsPerS: number | null;
  /** Seconds from the POST's answer to the first poll that saw `running` (the local queue's pick-up). */
  queuedSeconds: number | null;
  bytes: number;
  parts: number;
  /** workerd resident memory (MB): just before the POST, the highest sample during the job, the difference. */
  rssBeforeMb: number | null;
  rssPeakMb: number | null;
  growthMb: number | null;
  samples: number;
  workerdPids: number[];
  /**
   * The Worker isolate's committed JS heap (MB, DevTools Runtime.getHeapUsage): just before the
   * POST, the highest sample during the job; null when the inspector did not answer.
   */
  heapBeforeMb: number | null;
  heapPeakMb: number | null;
  /** The committed heap's peak (MB): V8's reservation, which wrangler dev never gives back. */
  heapCommittedMb?: number | null;
  /** The smaller job only: the file downloaded and gunzipped here. */
  download?: { bytes: number; rawBytes: number; ratio: number; rows: number; matches: boolean; ms: number };
}

/** Each mode's wrangler dev is a new server: the small job's facts, for the large job's base. */
const smallFacts = new Map<string, ExportFacts>();
/** The probe exports the contact with this id: none. */
const PROBE_ID = '00000000-0000-4000-8000-000000000000';
/** Jobs this run created, deleted from export_jobs by the clean-up (with the probe's, found by its query). */
const created: string[] = [];

const headers = (ctx: BenchContext) => ({ Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json' });

/**
 * [small, large]: 100k and 1M, or, when the largest org holds fewer than 1M contacts (the
 * `--quick` dataset), the org's size rounded down to a thousand and a tenth of it.
 */
export function sizes(largestOrg: number): [number, number] {
  if (largestOrg >= LARGE_ROWS) return [SMALL_ROWS, LARGE_ROWS];
  const large = Math.max(10, Math.floor((largestOrg * 0.95) / 1000) * 1000 || Math.floor(largestOrg * 0.95));
  return [Math.max(1, Math.floor(large / 10)), large];
}

// ——— memory: the workerd processes of the bench's wrangler dev ———

/** pid, command name and process group of every process (Linux /proc). */
function processes(): Array<{ pid: number; comm: string; ppid: number; pgrp: number }> {
  const out: Array<{ pid: number; comm: string; ppid: number; pgrp: number }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [, ppid, pgrp] = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      out.push({ pid: Number(name), comm, ppid, pgrp });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The workerd processes `wrangler dev` runs: in the process group the bench started it in
 * (lib/process.ts starts it as a group leader), or else among its descendants.
 */
export function workerdPids(leader: number): number[] {
  const all = processes();
  const inGroup = all.filter((p) => p.pgrp === leader && p.comm.startsWith('workerd')).map((p) => p.pid);
  if (inGroup.length) return inGroup;
  const descendants = new Set([leader]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all)
      if (descendants.has(p.ppid) && !descendants.has(p.pid)) {
        descendants.add(p.pid);
        grew = true;
      }
  }
  return all.filter((p) => descendants.has(p.pid) && p.comm.startsWith('workerd')).map((p) => p.pid);
}

/** VmRSS of a process in MB; undefined when it is gone. */
function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the summed RSS of the workerd processes every 100 ms until stopped. */
class RssSampler {
  private timer?: NodeJS.Timeout;
  readonly samples: Array<{ t: number; mb: number }> = [];
  constructor(readonly pids: number[]) {}

  sample(): number | undefined {
    if (!this.pids.length) return undefined;
    const values = this.pids.map(rssMb).filter((v): v is number => v !== undefined);
    if (!values.length) return undefined;
    const mb = values.reduce((a, b) => a + b, 0);
    this.samples.push({ t: performance.now(), mb });
    return mb;
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  peakSince(t: number): number | undefined {
    const after = this.samples.filter((s) => s.t >= t).map((s) => s.mb);
    return after.length ? Math.max(...after) : undefined;
  }
}

/**
 * Samples the Worker isolate's JS heap (DevTools `Runtime.getHeapUsage` through wrangler dev's
 * inspector port) every 100 ms, in use and committed: the memory the platform's 128 MB isolate
 * limit is about. The
 * workerd process's RSS also holds what the local simulators keep (R2's uploaded parts among
 * them) and V8's unreturned pages, so both are reported.
 */
class HeapSampler {
  private ws?: WebSocket;
  next = 1;
  private timer?: NodeJS.Timeout;
  readonly samples: Array<{ t: number; usedMb: number; totalMb: number }> = [];

  static async open(port: number | undefined): Promise<HeapSampler | undefined> {
    if (!port) return undefined;
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) })).json()) as Array<{
        webSocketDebuggerUrl?: string;
      }>;
      const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
      if (!url) return undefined;
      const sampler = new HeapSampler();
      // `ws`, not Node's WebSocket: wrangler's inspector proxy refuses the latter's handshake.
      const ws = new WebSocket(url);
      sampler.ws = ws;
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.on('error', () => {});
      // The proxy turns on the Network and Runtime domains for DevTools, which then buffer every
      // subrequest (5 MiB part uploads among them) in the isolate: off, so the heap is the job's.
      for (const method of ['Network.disable', 'Runtime.disable', 'Debugger.disable']) ws.send(JSON.stringify({ id: sampler.next++, method }));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { result?: { usedSize?: number; totalSize?: number } };
        if (msg.result?.usedSize !== undefined && msg.result.totalSize !== undefined)
          sampler.samples.push({ t: performance.now(), usedMb: msg.result.usedSize / 2 ** 20, totalMb: msg.result.totalSize / 2 ** 20 });
      });
      return sampler;
    } catch {
      return undefined;
    }
  }

  sample(): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ id: this.next++, method: 'Runtime.getHeapUsage' }));
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  close(): void {
    this.stop();
    this.ws?.close();
  }

  /**
   * The last sample before `t` and the highest since: the heap in use (live objects and garbage
   * not yet collected, MB), what V8 collects against; the committed heap only grows in dev.
   */
  around(t: number): { before?: number; peak?: number; committed?: number } {
    const before = this.samples.filter((s) => s.t < t).at(-1)?.usedMb;
    const after = this.samples.filter((s) => s.t >= t);
    return {
      before,
      peak: after.length ? Math.max(...after.map((s) => s.usedMb)) : undefined,
      committed: after.length ? Math.max(...after.map((s) => s.totalMb)) : undefined,
    };
  }
}

// ——— the job ———

interface JobView {
  id: string;
  status: string;
  rows: number;
  bytes: number;
  progress: { parts: number; checkpoint: number };
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** The query naming the `n` oldest contacts of the bench org, and how many rows it names. */
async function oldest(ctx: BenchContext, n: number): Promise<{ query: string; expected: number }> {
  const key = `export.${n}`;
  const found = ctx.found.get(key);
  if (found) return JSON.parse(found);
  // The bound to the microsecond (a JS Date would cut it to the millisecond); `lte` takes the n-th too.
  const { rows } = await ctx.pg.query<{ at: string }>(
    `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
       from contacts where org_id = $1 and deleted_at is null order by created_at, id offset $2 limit 1`,
    [ctx.auth.orgId, n - 1],
  );
  if (!rows.length) throw new Error(`org ${ctx.orgSlug} has fewer than ${n} contacts`);
  const counted = await ctx.pg.query<{ n: string }>(`select count(*) as n from contacts where org_id = $1 and deleted_at is null and created_at <= $2`, [
    ctx.auth.orgId,
    rows[0].at,
  ]);
  const value = { query: `created_at=lte.${rows[0].at}&order=created_at.asc`, expected: Number(counted.rows[0].n) };
  ctx.found.set(key, JSON.stringify(value));
  return value;
}

const body = (query: string) => JSON.stringify({ resource: 'contacts', query, fields: EXPORT_FIELDS, format: 'csv', gzip: true });

async function getJob(ctx: BenchContext, id: string): Promise<JobView> {
  const res = await fetch(`${ctx.baseUrl}/v1/exports/${id}`, { headers: headers(ctx), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /v1/exports/${id} answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { data: JobView }).data;
}

/** Downloads the file, gunzips it as it arrives and counts its lines. */
async function download(ctx: BenchContext, id: string): Promise<NonNullable<ExportFacts['download']> & { contentType: string }> {
  const started = performance.now();
  const res = await fetch(`${ctx.baseUrl}/v1/exports/${id}/download`, { headers: headers(ctx), signal: AbortSignal.timeout(300_000) });
  if (res.status !== 200 || !res.body) throw new Error(`GET /v1/exports/${id}/download answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  let bytes = 0;
  let rawBytes = 0;
  let newlines = 0;
  let last = -1;
  const gunzip = createGunzip();
  gunzip.on('data', (chunk: Buffer) => {
    rawBytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
    last = chunk[chunk.length - 1];
  });
  const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(source, gunzip);
  // Lines: every newline ends one; a last line without one counts too. The header is one of them.
  const lines = newlines + (rawBytes > 0 && last !== 10 ? 1 : 0);
  return {
    bytes,
    rawBytes,
    ratio: bytes ? round(rawBytes / bytes) : 0,
    rows: lines - 1,
    matches: false,
    ms: round(performance.now() - started),
    contentType: res.headers.get('content-type') ?? '',
  };
}

const mb = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
const seconds = (ms: number) => Math.round(ms) / 1000;

/**
 * One export: the POST, polls every 200 ms until the job leaves queued/running (or the time
 * allowed runs out: then it is cancelled), RSS sampled throughout.
 */
async function exportJob(ctx: BenchContext, n: number, opts: { download: boolean; log: boolean; heap?: boolean }): Promise<ExportFacts> {
  const { query, expected } = await oldest(ctx, n);
  const pids = ctx.serverPid ? workerdPids(ctx.serverPid) : [];
  if (!pids.length) ctx.log(`  export: no workerd process found under wrangler dev (pid ${ctx.serverPid ?? 'unknown'}): memory not sampled`);
  const rss = new RssSampler(pids);
  rss.start();
  const heap = opts.heap ? await HeapSampler.open(ctx.inspectorPort) : undefined;
  if (opts.heap && !heap) ctx.log(`  export: the inspector (port ${ctx.inspectorPort ?? 'unknown'}) did not answer: isolate heap not sampled`);
  heap?.start();
  try {
    // A few samples of the quiet server, the last one the base.
    await sleep(3 * SAMPLE_MS);
    const before = rss.sample();
    const posted = await fetch(`${ctx.baseUrl}/v1/exports`, { method: 'POST', headers: headers(ctx), body: body(query), signal: AbortSignal.timeout(120_000) });
    const answered = performance.now();
    const text = await posted.text();
    if (posted.status !== 202) throw new Error(`POST /v1/exports answered ${posted.status}: ${text.slice(0, 300)}`);
    const id = (JSON.parse(text) as { data: JobView }).data.id;
    created.push(id);
    // Generous: a job at 1/100th of the goal's rate still ends; one slower is a finding anyway.
    const allowed = 60_000 + n;
    let job: JobView;
    let running: number | undefined;
    let lastProgress = -1;
    for (;;) {
      await sleep(POLL_MS);
      job = await getJob(ctx, id);
      const now = performance.now();
      if (job.status === 'running' && running === undefined) running = now;
      if (opts.log && job.progress.checkpoint !== lastProgress && job.status === 'running') {
        lastProgress = job.progress.checkpoint;
        ctx.log(
          `    export ${n.toLocaleString('en')}: ${seconds(now - answered)} s, ${job.rows.toLocaleString('en')} rows, ${job.progress.parts} parts, RSS ${mb(rss.peakSince(answered)) ?? '–'} MB peak`,
        );
      }
      if (job.status !== 'queued' && job.status !== 'running') break;
      if (now - answered > allowed) {
        await fetch(`${ctx.baseUrl}/v1/exports/${id}`, { method: 'DELETE', headers: headers(ctx) }).catch(() => {});
        job = { ...job, error: `still ${job.status} after ${seconds(now - answered)} s (${job.rows} rows written): cancelled by the bench` };
        break;
      }
    }
    const ended = performance.now();
    rss.stop();
    heap?.stop();
    const heapAt = heap?.around(answered);
    const peak = rss.peakSince(answered - 3 * SAMPLE_MS);
    const took = (ended - answered) / 1000;
    const jobMs = job.completedAt ? Date.parse(job.completedAt) - Date.parse(job.createdAt) : null;
    const facts: ExportFacts = {
      target: n,
      expected,
      rows: job.rows,
      status: job.status,
      error: job.error,
      seconds: round(took),
      jobSeconds: jobMs === null ? null : jobMs / 1000,
      rowsPerS: Math.round(job.rows / took),
      jobRowsPerS: jobMs ? Math.round(job.rows / (jobMs / 1000)) : null,
      queuedSeconds: running === undefined ? null : seconds(running - answered),
      bytes: job.bytes,
      parts: job.progress.parts,
      rssBeforeMb: mb(before),
      rssPeakMb: mb(peak),
      growthMb: before !== undefined && peak !== undefined ? mb(peak - before) : null,
      samples: rss.samples.length,
      workerdPids: pids,
      heapBeforeMb: mb(heapAt?.before),
      heapPeakMb: mb(heapAt?.peak),
      heapCommittedMb: mb(heapAt?.committed),
    };
    if (opts.download && job.status === 'succeeded') {
      const { contentType, ...got } = await download(ctx, id);
      facts.download = { ...got, matches: got.rows === job.rows && got.bytes === job.bytes && contentType.startsWith('application/gzip') };
      if (!contentType.startsWith('application/gzip')) ctx.log(`  export: download answered Content-Type ${contentType}, not application/gzip`);
    }
    return facts;
  } finally {
    rss.stop();
    heap?.close();
  }
}

// ——— the scenario ———

/** The row's notes: everything measured, in one line. */
function describe(f: ExportFacts, small?: ExportFacts): string {
  const parts = [
    `${f.rows.toLocaleString('en')} rows (asked for the ${f.target.toLocaleString('en')} oldest; the query names ${f.expected.toLocaleString('en')}) in ${f.seconds} s: ${f.rowsPerS.toLocaleString('en')} rows/s from the POST's answer to the poll that saw ${f.status}` +
      (f.jobSeconds !== null && f.jobRowsPerS !== null
        ? `; ${f.jobRowsPerS.toLocaleString('en')} rows/s by the job's createdAt → completedAt (${f.jobSeconds} s)`
        : ''),
    f.queuedSeconds !== null ? `first seen running ${f.queuedSeconds} s after the POST's answer` : 'never seen running (polls every 200 ms)',
    `${f.bytes.toLocaleString('en')} bytes gzip in ${f.parts} part(s)`,
    f.growthMb !== null
      ? `workerd RSS ${f.rssBeforeMb} MB before, peak ${f.rssPeakMb} MB: +${f.growthMb} MB (${f.samples} samples every ${SAMPLE_MS} ms, pid ${f.workerdPids.join(', ')})`
      : 'workerd RSS not sampled',
    f.heapBeforeMb !== null && f.heapPeakMb !== null
      ? `isolate JS heap in use ${f.heapBeforeMb} MB before, peak ${f.heapPeakMb} MB: +${mb(f.heapPeakMb - f.heapBeforeMb)} MB (committed peak ${f.heapCommittedMb ?? '–'} MB)`
      : 'isolate heap not sampled',
  ];
  if (small && f !== small && small.rssBeforeMb !== null && f.rssPeakMb !== null)
    parts.push(`peak over the smaller job's base (${small.rssBeforeMb} MB): +${mb(f.rssPeakMb - small.rssBeforeMb)} MB`);
  if (f.download)
    parts.push(
      `downloaded ${f.download.bytes.toLocaleString('en')} bytes in ${f.download.ms} ms, ${f.download.rawBytes.toLocaleString('en')} bytes gunzipped (ratio ${f.download.ratio}), ${f.download.rows.toLocaleString('en')} data lines: ${f.download.matches ? 'match the job' : 'DO NOT match the job'}`,
    );
  if (f.rows !== f.expected) parts.push(`⚠ the job wrote ${f.rows} rows, the query names ${f.expected}`);
  if (f.error) parts.push(`job error: ${f.error}`);
  return parts.join('; ');
}

/** A variant: one job of the small or large size (both scaled down on a small dataset). */
function variant(label: string, which: 0 | 1): Variant {
  return {
    label,
    request: (ctx): HttpRequest => ({
      path: '/v1/exports',
      method: 'POST',
      headers: headers(ctx),
      body: body('created_at=lte.<the N-th oldest>&order=created_at.asc'),
    }),
    concurrency: [1],
    notes: (ctx) => {
      const [small, large] = sizes(ctx.dataset.largest_org_contacts);
      const n = which === 0 ? small : large;
      const scaled =
        ctx.dataset.largest_org_contacts < LARGE_ROWS ? ` (scaled down: the largest org holds ${ctx.dataset.largest_org_contacts.toLocaleString('en')})` : '';
      return `POST /v1/exports {contacts, the ${n.toLocaleString('en')} oldest${scaled}, fields ${EXPORT_FIELDS}, csv, gzip}, then GET /v1/exports/{id} every ${POLL_MS} ms; p50 = p95 = p99 = the job's time from the POST's answer to the poll that saw it end, rps = jobs/s`;
    },
    run: async (ctx): Promise<LoadResult> => {
      const n = sizes(ctx.dataset.largest_org_contacts)[which];
      // The rate and RSS from a job with no inspector attached; the isolate's heap from the same
      // job run again with it attached (the inspector costs the job some speed).
      const facts = await exportJob(ctx, n, { download: which === 0, log: true, heap: false });
      if (ctx.inspectorPort) {
        const watched = await exportJob(ctx, n, { download: false, log: false, heap: true });
        Object.assign(facts, { heapBeforeMb: watched.heapBeforeMb, heapPeakMb: watched.heapPeakMb, heapCommittedMb: watched.heapCommittedMb });
      }
      if (which === 0) smallFacts.set(ctx.baseUrl, facts);
      const ok = facts.status === 'succeeded' && (!facts.download || facts.download.matches);
      const ms = round(facts.seconds * 1000);
      return {
        p50_ms: ms,
        p95_ms: ms,
        p99_ms: ms,
        count: 1,
        rps: round(1 / facts.seconds),
        okRps: ok ? round(1 / facts.seconds) : 0,
        errors: ok ? 0 : 1,
        statuses: ok ? {} : { [facts.status === 'succeeded' ? 'download mismatch' : facts.status]: 1 },
        cutOff: [],
        rowsPerSecond: facts.rowsPerS,
        exported: facts,
        notes: describe(facts, smallFacts.get(ctx.baseUrl)),
      };
    },
  };
}

export const EXPORT_SCENARIO: Scenario = {
  id: 'export',
  auth: true,
  // A job of no rows: 404 while the route is not built.
  probe: (ctx) => Promise.resolve([{ path: '/v1/exports', method: 'POST', headers: headers(ctx), body: body(`id=eq.${PROBE_ID}`) }]),
  prepare: async (ctx) => {
    const [small, large] = sizes(ctx.dataset.largest_org_contacts);
    await oldest(ctx, small);
    await oldest(ctx, large);
    // Warm-up (per mode: each runs its own wrangler dev): discarded.
    const warm = await exportJob(ctx, Math.min(WARMUP_ROWS, small), { download: true, log: false });
    if (warm.status !== 'succeeded') throw new Error(`the warm-up export ended ${warm.status}: ${warm.error ?? 'no error given'}`);
    ctx.log(`  export warm-up: ${warm.rows} rows in ${warm.seconds} s, workerd RSS +${warm.growthMb ?? '–'} MB`);
  },
  // The jobs' rows (their files live in the run's wrangler state, removed with it).
  finish: async (ctx) => {
    const ids = created.splice(0);
    await ctx.pg.query(`delete from export_jobs where org_id = $1 and (id = any($2::uuid[]) or (created_by = $3 and position($4 in query::text) > 0))`, [
      ctx.auth.orgId,
      ids,
      ctx.auth.userId,
      PROBE_ID,
    ]);
  },
  variants: [variant(SMALL_LABEL, 0), variant(LARGE_LABEL, 1)],
};
