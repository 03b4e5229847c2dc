// The `write` scenario's harness, checked without the write API: its declaration, the bodies
// it sends, the load tools sending a fresh PATCH/POST each time against a local server, the
// runner (concurrency per variant, clean-up on every path), rows/s in the results, and the
// clean-up deleting exactly the run's contacts in crm_bench_quick. Used by selftest.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { withDatabase } from '../scripts/lib/config';
import type { BenchContext, Scenario } from './lib/context';
import { evaluateGoals } from './lib/goals';
import { runLoad } from './lib/load';
import type { BenchOptions } from './lib/options';
import { runPaired } from './lib/paired';
import { writesTable } from './lib/report-md';
import { buildRows, type Row, rowsPerSecond } from './lib/results';
import { type RunOutcome, runScenario } from './lib/runner';
import { SCENARIOS } from './lib/scenarios';
import { BenchResults } from './lib/schema';
import { BATCH_SIZE, deleteCreated, nextBatch, nextPatch, RUN_DOMAIN } from './lib/write-scenario';

type Check = (ok: boolean, what: string) => void;

function checkDeclaration(check: Check): void {
  const write = SCENARIOS.find((s) => s.id === 'write');
  const patch = write?.variants.find((v) => v.label === 'PATCH contact');
  const batch = write?.variants.find((v) => v.label === `batch create ${BATCH_SIZE}`);
  check(
    !!write?.alone && !!write.finish && typeof write.probe === 'function' && SCENARIOS.at(-1) === write,
    'write: declared last, measured alone (throughput), probed with a write, cleaned up',
  );
  check(!!patch && patch.rowsPerRequest === 1 && !patch.concurrency, 'write: PATCH contact runs at every concurrency, 1 row per request');
  check(
    !!batch && batch.rowsPerRequest === BATCH_SIZE && batch.concurrency?.join() === '1',
    `write: batch create runs at c1 only, ${BATCH_SIZE} rows per request`,
  );

  const ids = ['a', 'b', 'c'];
  const [p1, p2] = [nextPatch(ids), nextPatch(ids)];
  check(p1.path !== p2.path && p1.body !== p2.body && /^\/v1\/contacts\/[abc]$/.test(p1.path), 'write: each PATCH goes to the next contact with a new phone');
  const [b1, b2] = [nextBatch(), nextBatch()];
  const records: Array<Record<string, string>> = JSON.parse(b1.body).records;
  check(
    records.length === BATCH_SIZE &&
      records.every((r) => Object.keys(r).sort().join() === 'email,first_name,last_name' && r.email.endsWith(`@${RUN_DOMAIN}`)) &&
      new Set(records.map((r) => r.email)).size === BATCH_SIZE &&
      b1.body !== b2.body,
    `write: a batch is ${BATCH_SIZE} new contacts, unique emails @${RUN_DOMAIN}, never the same body twice`,
  );
}

function checkReporting(check: Check): void {
  check(rowsPerSecond(12.5, BATCH_SIZE) === 12_500 && rowsPerSecond(12.5, undefined) === undefined, 'rows/s = 2xx requests/s × rows per request');
  const row = (label: string, concurrency: number, rows: number): Row => ({
    label,
    result: { id: 'write', mode: 'pooled', concurrency, p50_ms: 40, p95_ms: 60, p99_ms: 80, rps: 10, errors: 0, rows_per_s: rows },
  });
  const rows = [row('PATCH contact', 8, 310), row('batch create 1000', 1, 9000)];
  const goal = evaluateGoals(rows).find((g) => g.goal.startsWith('write'));
  check(
    goal?.status === 'reported' && goal.detail.includes('310 rows/s, p95 60 ms') && goal.detail.includes('9000 rows/s'),
    `write rows/s and p95 are reported without a verdict (${goal?.detail})`,
  );
  const table = writesTable(rows).join('\n');
  check(table.includes('| rows/s |') && table.includes('| write (batch create 1000) | pooled | 1 | 9,000 |'), 'latest.md has a writes table with rows/s');
  check(writesTable([{ ...rows[0], result: { ...rows[0].result, id: 'list', rows_per_s: undefined } }]).length === 0, 'no writes table without write rows');
  const doc = {
    at: new Date().toISOString(),
    machine: { cores: 2, memory_gb: 8, node: '22', postgres: '18' },
    dataset: { contacts: 1, orgs: 1, largest_org_contacts: 1 },
  };
  check(BenchResults.safeParse({ ...doc, scenarios: rows.map((r) => r.result) }).success, 'latest.json accepts rows_per_s');
}

/** A local server: 405 on /missing, 500 on /fail/…, else 201; it keeps what it received. */
async function fakeApi(): Promise<{ url: string; seen: Array<{ method: string; url: string; body: string }>; close(): void }> {
  const seen: Array<{ method: string; url: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.statusCode = req.url?.startsWith('/missing') ? 405 : req.url?.startsWith('/fail') ? 500 : 201;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
}

async function checkLoad(check: Check, api: Awaited<ReturnType<typeof fakeApi>>): Promise<void> {
  let n = 0;
  // Every fourth request fails: refused writes count as errors and write no rows.
  const next = () => {
    n++;
    return { path: n % 4 === 0 ? `/fail/${n}` : `/w/${n}`, body: JSON.stringify({ n }) };
  };
  api.seen.length = 0;
  const load = await runLoad({
    url: `${api.url}/w/0`,
    headers: { 'Content-Type': 'application/json' },
    method: 'PATCH',
    body: '{}',
    next,
    connections: 2,
    seconds: 0.3,
  });
  const sent = api.seen.filter((s) => s.method === 'PATCH');
  check(
    sent.length > 10 && new Set(sent.map((s) => s.body)).size === sent.length,
    `under load, every PATCH is built afresh (${sent.length} sent, all bodies different)`,
  );
  check(
    load.errors > 0 && load.statuses['500'] === load.errors && load.okRps < load.rps,
    `under load, non-2xx answers are errors and not rows (${load.errors} errors, ${load.okRps} of ${load.rps} req/s)`,
  );
  api.seen.length = 0;
  const [inTurns] = await runPaired([{ url: `${api.url}/w/0`, headers: {}, method: 'POST', body: '{}', next }], 0.2);
  const posted = api.seen.filter((s) => s.method === 'POST');
  check(
    posted.length > 10 && new Set(posted.map((s) => s.body)).size === posted.length && inTurns.errors > 0 && inTurns.okRps < inTurns.rps,
    'in turns, requests carry their method and a fresh body; non-2xx are errors',
  );
}

/** The runner on a made-up write scenario against the local server. */
async function checkRunner(check: Check, api: Awaited<ReturnType<typeof fakeApi>>): Promise<void> {
  const ctx = { baseUrl: api.url, token: 't', found: new Map(), log: () => {} } as unknown as BenchContext;
  const opts = { concurrency: [1, 8], duration: 0.2, warmup: 0 } as BenchOptions;
  const outcome = (): RunOutcome => ({ measured: [], floors: new Map(), naive: new Map(), local: new Map(), skipped: [], modes: new Map() });
  let finished = 0;
  const scenario = (probePath: string): Scenario => ({
    id: 'write',
    auth: true,
    probe: async () => [{ method: 'PATCH', path: probePath, body: '{}' }],
    alone: true,
    finish: async () => {
      finished++;
    },
    variants: [
      { label: 'every level', request: () => ({ method: 'PATCH', path: '/w/1', body: '{}' }), rowsPerRequest: 1 },
      { label: 'c1 only', request: () => ({ method: 'POST', path: '/w/2', body: '{}' }), rowsPerRequest: 100, concurrency: [1] },
    ],
  });
  const notBuilt = outcome();
  await runScenario(ctx, scenario('/missing/1'), 'pooled', opts, notBuilt);
  check(
    notBuilt.skipped.length === 1 && !notBuilt.skipped[0].failure && /405: route not built yet/.test(notBuilt.skipped[0].reason) && finished === 1,
    "a write probe's 405 skips the scenario as not built yet, and its clean-up still runs",
  );
  const broken = outcome();
  await runScenario(ctx, scenario('/fail/1'), 'pooled', opts, broken);
  check(broken.skipped[0]?.failure === true && finished === 2, "a write probe's 500 is a failure, and the clean-up still runs");
  const ran = outcome();
  await runScenario(ctx, scenario('/w/0'), 'pooled', opts, ran);
  const levels = ran.measured.map((m) => `${m.variant.label}@${m.concurrency}`).join();
  check(levels === 'every level@1,every level@8,c1 only@1' && finished === 3, `each variant runs at its own levels (${levels})`);
  check(
    ran.measured.every((m) => !m.paired),
    'a scenario measured alone takes no turns at c1',
  );
  const rows = buildRows(ran);
  check(
    rows.every((r) => r.result.rows_per_s !== undefined && r.result.rows_per_s > 0) &&
      rows[2].result.rows_per_s! > 50 * rows[2].result.rps &&
      rows.every((r) => /^(every level|c1 only): (PATCH|POST) /.test(r.result.notes ?? '')),
    'write rows carry rows/s and their method in the notes',
  );
}

/**
 * The clean-up against crm_bench_quick (the selftest's bench run seeded it): more than one
 * chunk of this run's contacts goes, the same email in another org and other runs' stay.
 */
export async function checkWriteCleanup(check: Check, serverUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: withDatabase(serverUrl, 'crm_bench_quick') });
  await c.connect();
  try {
    const orgs = (await c.query<{ id: string }>('select id from orgs order by id limit 2')).rows.map((r) => r.id);
    const insert = (org: string, n: number, domain: string) =>
      c.query(`insert into contacts (org_id, first_name, email) select $1, 'Anna', 'selftest-' || i || '@' || $3 from generate_series(1, $2::int) i`, [
        org,
        n,
        domain,
      ]);
    await insert(orgs[0], 5001, RUN_DOMAIN);
    await insert(orgs[0], 1, 'bench-run-1.test');
    await insert(orgs[1], 1, RUN_DOMAIN);
    const ctx = { pg: c, auth: { orgId: orgs[0] }, found: new Map(), log: () => {} } as unknown as BenchContext;
    await deleteCreated(ctx);
    const left = async (org: string, domain: string) =>
      Number((await c.query('select count(*) from contacts where org_id = $1 and email like $2', [org, `%@${domain}`])).rows[0].count);
    const [mine, otherRun, otherOrg] = [await left(orgs[0], RUN_DOMAIN), await left(orgs[0], 'bench-run-1.test'), await left(orgs[1], RUN_DOMAIN)];
    check(
      mine === 0 && otherRun === 1 && otherOrg === 1,
      `the clean-up deletes this run's contacts in the org, in chunks, and nothing else (${mine}, ${otherRun}, ${otherOrg} left)`,
    );
  } finally {
    await c.query(`delete from contacts where email like 'selftest-%@bench-run-%.test'`).catch(() => {});
    await c.end();
  }
}

export async function checkWrites(check: Check): Promise<void> {
  checkDeclaration(check);
  checkReporting(check);
  const api = await fakeApi();
  try {
    await checkLoad(check, api);
    await checkRunner(check, api);
  } finally {
    api.close();
  }
}
