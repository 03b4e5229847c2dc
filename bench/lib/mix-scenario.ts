/**
 * The `mix` scenario (issue 24: "with a realistic mix — 80 % repeated reads, 20 % new ones, 1
 * write per 50 reads — at concurrency 8, the list p95 improves over no tiers, with zero stale
 * answers after X-Min-Generation"). Each client walks its own seeded sequence of list reads on
 * /v1/contacts: one of a pool of hot requests, or one never sent before in the run; and every
 * 50 reads a PATCH of one of its own contacts (a new phone), whose next read asks for that
 * contact with the write's generation (`X-Min-Generation`) and must see the phone just written.
 * A repeated request (autocannon) cannot read its own writes, so the scenario runs its own
 * loop. The same sequences run twice, as two variants: through the tiers, and with
 * `Cache-Control: no-cache` on every read (the reference: what the reads cost without tiers).
 */
import http from 'node:http';
import { SURNAMES } from '../../scripts/lib/seed/vocab-people';
import { HITS, tierAnswered } from './cache-hit-scenario';
import type { BenchContext, HttpRequest, ResponseHeaders, Scenario, Variant } from './context';
import { CONTACTS, filterSearch } from './filter-request';
import { Latencies, round } from './histogram';
import { generator } from './interval';
import type { LoadResult } from './load';
import { contactIds, nextPatch } from './write-scenario';

export const TIERS_LABEL = 'read mix, through the tiers';
export const NO_TIERS_LABEL = 'read mix, no tiers (Cache-Control: no-cache on every read)';
/** The share of reads drawn from the hot pool; the rest are new. */
const REPEATED = 0.8;
/** One PATCH per this many reads, per client. */
const WRITE_EVERY = 50;
/** Contacts each client PATCHes in turn: no two clients ever write one row. */
const PER_CLIENT = 100;
const MAX_CLIENTS = 8;
const SEED = 24;
const idsKey = 'mix.ids';

/** Hot list requests: the filters, orders and page sizes a CRM's users keep opening. */
export const HOT: readonly string[] = [
  ...SURNAMES.slice(0, 6).map((s) => `last_name=eq.${encodeURIComponent(s)}&order=created_at.desc&limit=25`),
  filterSearch('last_name'),
  filterSearch('created_at'),
  'status=eq.active&limit=25',
  'status=eq.inactive&order=updated_at.desc&limit=25',
  'status=eq.archived&limit=50',
  'lifecycle_stage=eq.customer&limit=25',
  'lifecycle_stage=eq.lead&order=last_name.asc&limit=25',
  'gender=eq.female&order=first_name.asc&limit=25',
  'source=eq.web&limit=25',
  'limit=25',
  'limit=50',
  'order=updated_at.desc&limit=25',
  'order=last_name.asc&limit=25',
  'order=created_at.desc&limit=10',
];

/** The seed's contacts were created in the three years before its anchor (scripts/lib/seed). */
const FIRST_MS = Date.parse('2023-11-01T00:00:00Z');
const SPAN_MS = Date.parse('2026-11-01T00:00:00Z') - FIRST_MS;

/**
 * A read not sent before in the run: the page before a random millisecond of those three years
 * (about 10^11 of them), newest first, alone or under a common surname.
 */
export function newRead(draw: () => number): string {
  const before = new Date(FIRST_MS + Math.floor(draw() * SPAN_MS)).toISOString();
  if (draw() < 0.5) return `created_at=lt.${before}&limit=25`;
  return `last_name=eq.${encodeURIComponent(SURNAMES[Math.floor(draw() * 40)])}&created_at=lt.${before}&limit=25`;
}

/** The read that checks a write: that contact's phone, at least as new as the write. */
export const checkPath = (id: string) => `${CONTACTS}?id=eq.${id}&select=id,phone`;

/** The first row's phone in a list answer; undefined when there is none (or no JSON). */
function phoneIn(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { data?: Array<{ phone?: string }> }).data?.[0]?.phone;
  } catch {
    return undefined;
  }
}

interface Reply {
  status: number;
  ms: number;
  headers: ResponseHeaders;
  body: string;
}

/** One request on the client's keep-alive connection: status, ms to the last body byte, headers and body. */
function send(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const started = performance.now();
    const failed = () => resolve({ status: 0, ms: performance.now() - started, headers: {}, body: '' });
    const req = http.request(url, { agent, method, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', failed);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', failed);
    req.end(body);
  });
}

/** What one pass of every client found. */
class Tally {
  readonly reads = new Latencies();
  readonly writes = new Latencies();
  readonly answered: Record<string, number> = {};
  readonly statuses: Record<string, number> = {};
  readAnswers = 0;
  errors = 0;
  hot = 0;
  fresh = 0;
  checks = 0;
  stale = 0;
  /** The first stale answers, request and headers, for the log and the notes. */
  readonly staleSeen: string[] = [];

  fail(what: string): void {
    this.errors++;
    this.statuses[what] = (this.statuses[what] ?? 0) + 1;
  }
}

/** Every turn one of these: which request, and which check follows it. */
type Step = { kind: 'read'; search: string; hot: boolean } | { kind: 'check'; id: string; phone: string; generation: string };

/**
 * One client for `until`: reads drawn by `kinds` (the same sequence in every pass), new reads'
 * values drawn by `values` (fresh in every pass), a PATCH after every WRITE_EVERY reads, then
 * the check. Counting starts at `offset`, so the clients' writes are spread over the run.
 */
async function client(
  ctx: BenchContext,
  ids: string[],
  tiers: boolean,
  kinds: () => number,
  values: () => number,
  offset: number,
  until: number,
  t: Tally,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const auth = { Authorization: `Bearer ${ctx.token}` };
  const readHeaders = tiers ? auth : { ...auth, 'Cache-Control': 'no-cache' };
  let reads = offset;
  let pending: Step | undefined;
  try {
    // A write made in time is always checked, even when its check falls after `until`.
    while (pending || performance.now() < until) {
      const step: Step =
        pending ??
        (kinds() < REPEATED
          ? { kind: 'read', search: HOT[Math.floor(kinds() * HOT.length)], hot: true }
          : { kind: 'read', search: newRead(values), hot: false });
      pending = undefined;
      const path = step.kind === 'check' ? checkPath(step.id) : `${CONTACTS}?${step.search}`;
      const headers = step.kind === 'check' ? { ...readHeaders, 'X-Min-Generation': step.generation } : readHeaders;
      const reply = await send(agent, new URL(path, ctx.baseUrl), 'GET', headers);
      t.readAnswers++;
      if (reply.status < 200 || reply.status >= 300) t.fail(`GET ${reply.status}`);
      else {
        t.reads.record(reply.ms);
        const tier = tierAnswered(reply.headers);
        t.answered[tier] = (t.answered[tier] ?? 0) + 1;
        if (step.kind === 'read') {
          if (step.hot) t.hot++;
          else t.fresh++;
        } else {
          t.checks++;
          const seen = phoneIn(reply.body);
          if (seen !== step.phone) {
            t.stale++;
            if (t.staleSeen.length < 3)
              t.staleSeen.push(
                `GET ${path} with X-Min-Generation ${step.generation}${tiers ? '' : ', no-cache'} answered phone ${JSON.stringify(seen)}, not ${JSON.stringify(step.phone)} (Server-Timing: ${String(reply.headers['server-timing'] ?? '')})`,
              );
          }
        }
      }
      if (++reads % WRITE_EVERY !== 0 || performance.now() >= until) continue;
      const patch = nextPatch(ids);
      const wrote = await send(agent, new URL(patch.path, ctx.baseUrl), 'PATCH', { ...auth, 'Content-Type': 'application/json' }, patch.body);
      const generation = wrote.headers['x-generation'];
      if (wrote.status < 200 || wrote.status >= 300) t.fail(`PATCH ${wrote.status}`);
      else if (typeof generation !== 'string') t.fail('PATCH without X-Generation');
      else {
        t.writes.record(wrote.ms);
        pending = { kind: 'check', id: patch.path.split('/').at(-1)!, phone: JSON.parse(patch.body).phone, generation };
      }
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Where client `i` starts counting reads: its first PATCH follows read 1 + i × WRITE_EVERY ÷
 * concurrency, so even a one-second pass (the selftest's) checks a write.
 */
const firstWriteOffset = (i: number, concurrency: number) => WRITE_EVERY - 1 - Math.floor((i * WRITE_EVERY) / concurrency);

/** Passes run so far: each draws its new reads' values afresh, so no pass repeats another's. */
let passes = 0;

/** One pass: `concurrency` clients for `seconds`, each on its own keep-alive connection. */
async function pass(ctx: BenchContext, tiers: boolean, concurrency: number, seconds: number): Promise<{ t: Tally; wall: number }> {
  const ids = ctx.found.get(idsKey)!.split(',');
  const per = Math.floor(ids.length / concurrency);
  if (per < 1) throw new Error(`mix: ${ids.length} contacts to PATCH cannot give ${concurrency} clients one each`);
  const t = new Tally();
  const salt = ++passes;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, (_, i) =>
      client(ctx, ids.slice(i * per, (i + 1) * per), tiers, generator(SEED + i), generator(SEED + 1000 * salt + i), firstWriteOffset(i, concurrency), until, t),
    ),
  );
  return { t, wall: (performance.now() - started) / 1000 };
}

const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10} %` : '–');

/** A warm-up pass (discarded), then the measured one; the reads' latencies are the row's. */
function run(tiers: boolean): NonNullable<Variant['run']> {
  return async (ctx, concurrency, { seconds, warmupSeconds }): Promise<LoadResult> => {
    if (warmupSeconds > 0) await pass(ctx, tiers, concurrency, warmupSeconds);
    const { t, wall } = await pass(ctx, tiers, concurrency, seconds);
    for (const s of t.staleSeen) ctx.log(`  mix: STALE ${s}`);
    const ok = t.reads.count;
    const hits = HITS.reduce((n, k) => n + (t.answered[k] ?? 0), 0);
    const w = t.writes.summary();
    const notes = [
      `${ok} reads answered over ${concurrency} clients: ${t.hot} repeated (${HOT.length} hot requests), ${t.fresh} new, ${t.checks} read-your-write checks; ${w.count} PATCHes (p50 ${w.p50_ms} ms, p95 ${w.p95_ms} ms)`,
      `reads answered by a tier: ${pct(hits, ok)}`,
      `stale answers after X-Min-Generation: ${t.stale} of ${t.checks}`,
      ...t.staleSeen.map((s) => `stale: ${s}`),
    ].join('; ');
    return {
      ...t.reads.summary(),
      rps: round(t.readAnswers / wall),
      okRps: round(ok / wall),
      errors: t.errors,
      statuses: t.statuses,
      cutOff: [],
      tally: t.answered,
      stale: t.stale,
      notes,
    };
  };
}

const variant = (label: string, tiers: boolean, notes: string): Variant => ({
  label,
  // An example for the notes; the loop builds its own requests.
  request: (ctx): HttpRequest => ({ path: `${CONTACTS}?${HOT[0]}`, headers: { Authorization: `Bearer ${ctx.token}` }, tiers }),
  concurrency: [MAX_CLIENTS],
  run: run(tiers),
  notes,
});

const headers = (ctx: BenchContext) => ({ Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json' });

export const MIX_SCENARIO: Scenario = {
  id: 'mix',
  auth: true,
  // Reads and a PATCH: 405 while the write route is not built.
  probe: async (ctx) => [{ path: `${CONTACTS}?limit=1` }, { method: 'PATCH', headers: headers(ctx), ...nextPatch(await contactIds(ctx, 1)) }],
  // Every request shape once, from Postgres: a refused one fails here, not as errors under load.
  prepare: async (ctx) => {
    for (const search of [...HOT, newRead(() => 0.1), newRead(() => 0.9)]) {
      const res = await fetch(`${ctx.baseUrl}${CONTACTS}?${search}`, { headers: { Authorization: `Bearer ${ctx.token}`, 'Cache-Control': 'no-cache' } });
      if (!res.ok) throw new Error(`GET ${CONTACTS}?${search} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer();
    }
    if (!ctx.found.has(idsKey)) ctx.found.set(idsKey, (await contactIds(ctx, PER_CLIENT * MAX_CLIENTS)).join(','));
  },
  variants: [
    variant(NO_TIERS_LABEL, false, 'the same sequences with every read asking for Postgres: the reference'),
    variant(
      TIERS_LABEL,
      true,
      'reads may be answered by a read tier (isolate memory, Cache API, KV); a check after a write carries its X-Generation as X-Min-Generation',
    ),
  ],
};
