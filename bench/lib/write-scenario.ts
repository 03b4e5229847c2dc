/**
 * The `write` scenario (BENCH.md: "PATCH with audit + invalidation, throughput"): a PATCH of
 * one contact at every concurrency, and a batch of 1000 creates at concurrency 1, each
 * reported as rows/s beside its latency. It writes into the bench dataset, so the contacts it
 * creates carry a per-run email domain and are deleted after it (PATCHed phones stay changed).
 */
import type { BenchContext, HttpRequest, Scenario } from './context';

const CONTACTS = '/v1/contacts';
/** Contacts PATCHed in turn: with 8 connections, one row is never written twice at once. */
export const PATCH_POOL = 5000;
export const BATCH_SIZE = 1000;
/** Rows per delete statement in the clean-up: short transactions, short locks. */
const DELETE_CHUNK = 5000;
/** Marks the contacts this run creates, so that the clean-up deletes exactly them. */
export const RUN_DOMAIN = `bench-run-${Date.now()}.test`;
/** Common names: created rows add no new values to field_values (what the triggers keep). */
const FIRST = ['Anna', 'James', 'Maria', 'David', 'Laura', 'Peter', 'Sofia', 'Thomas'];
const LAST = ['Smith', 'Johnson', 'Garcia', 'Miller', 'Brown', 'Davis', 'Wilson', 'Moore'];

/**
 * One counter for every write of the process, started at the clock: each PATCH sets a value
 * no earlier request or run has set (an update to the same value would change nothing), and
 * each created email is unique.
 */
let serial = Date.now();

const idsKey = 'write.ids';

const headers = (ctx: BenchContext) => ({ Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json' });

export async function contactIds(ctx: BenchContext, limit: number): Promise<string[]> {
  // Ids are random UUIDs, so the first ones by id are spread over the table.
  const { rows } = await ctx.pg.query<{ id: string }>(`select id from contacts where org_id = $1 and deleted_at is null order by id limit ${limit}`, [
    ctx.auth.orgId,
  ]);
  if (!rows.length) throw new Error(`org ${ctx.orgSlug} has no contacts to PATCH`);
  return rows.map((r) => r.id);
}

/** The next PATCH: the next contact of the pool, a phone never set before. */
export function nextPatch(ids: string[]): { path: string; body: string } {
  const n = ++serial;
  return { path: `${CONTACTS}/${ids[n % ids.length]}`, body: JSON.stringify({ phone: `+1 555 0100 ${n}` }) };
}

/** The next batch: `size` new contacts in this run's email domain. */
export function nextBatch(size = BATCH_SIZE): { path: string; body: string } {
  const n = ++serial;
  const records = Array.from({ length: size }, (_, i) => ({
    first_name: FIRST[i % FIRST.length],
    last_name: LAST[(i >> 3) % LAST.length],
    email: `b${n}-${i}@${RUN_DOMAIN}`,
  }));
  return { path: `${CONTACTS}/batch`, body: JSON.stringify({ records }) };
}

function patchRequest(ctx: BenchContext): HttpRequest {
  const ids = ctx.found.get(idsKey)!.split(',');
  const next = () => nextPatch(ids);
  return { method: 'PATCH', headers: headers(ctx), ...next(), next };
}

function batchRequest(ctx: BenchContext): HttpRequest {
  return { method: 'POST', headers: headers(ctx), ...nextBatch(), next: () => nextBatch() };
}

/**
 * Deletes this run's created contacts in chunks (each its own short transaction), then
 * vacuums: the dead row versions left by the writes slow the read scenarios of later runs
 * (see bench/writes.ts).
 */
export async function deleteCreated(ctx: BenchContext): Promise<void> {
  const started = performance.now();
  let deleted = 0;
  for (;;) {
    const res = await ctx.pg.query(`delete from contacts where id in (select id from contacts where org_id = $1 and email like $2 limit ${DELETE_CHUNK})`, [
      ctx.auth.orgId,
      `%@${RUN_DOMAIN}`,
    ]);
    deleted += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < DELETE_CHUNK) break;
  }
  // Nothing written when the probe found no write route: no vacuum of a 3M-row table for it.
  if (deleted === 0 && !ctx.found.has(idsKey)) return;
  await ctx.pg.query('vacuum contacts, field_values');
  ctx.log(`  write: deleted ${deleted.toLocaleString('en')} created contacts (@${RUN_DOMAIN}) and vacuumed in ${Math.round(performance.now() - started)} ms`);
}

export const WRITE_SCENARIO: Scenario = {
  id: 'write',
  auth: true,
  // A PATCH of a real contact: 405 while only reads are served on its path.
  probe: async (ctx) => [{ method: 'PATCH', headers: headers(ctx), ...nextPatch(await contactIds(ctx, 1)) }],
  prepare: async (ctx) => {
    if (!ctx.found.has(idsKey)) ctx.found.set(idsKey, (await contactIds(ctx, PATCH_POOL)).join(','));
  },
  alone: true,
  finish: deleteCreated,
  variants: [
    {
      label: 'PATCH contact',
      request: patchRequest,
      rowsPerRequest: 1,
      notes: (ctx) =>
        `a new phone per request, over ${ctx.found.get(idsKey)!.split(',').length.toLocaleString('en')} contacts of the org in turn; each write commits its audit record`,
    },
    {
      label: `batch create ${BATCH_SIZE}`,
      request: batchRequest,
      concurrency: [1],
      rowsPerRequest: BATCH_SIZE,
      notes: `${BATCH_SIZE} contacts per request (first_name, last_name, email @${RUN_DOMAIN}), deleted after the run`,
    },
  ],
};
