import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import type { Db } from '../db/client';
import type { AppContext } from './context';

/**
 * Stripe-style `Idempotency-Key` for POST and PATCH (DESIGN §5.8, decision 0037): the first
 * answer to a key is stored and replayed to every retry with the same request; the same key
 * with another request is a 422, and a retry while the first still runs is a 409.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Marks an answer that was replayed from the store, not produced by the handler. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Stripe's alphabet and bound: printable ASCII (space to tilde), 1–255 characters. */
const KEY = /^[\x20-\x7e]{1,255}$/;
/** DESIGN §5.8 asks for at least 24 hours; Stripe keeps keys exactly that long. */
const KEY_TTL = '24 hours';
/**
 * A claim with no answer after this long belongs to a Worker that died mid-request: a retry of
 * the same request may claim it again. Statements time out after 10 s (migration 0011), so a
 * live request holding a claim this long is not expected.
 */
const ABANDONED_AFTER = '60 seconds';
/** The stored answer's headers a replay carries; the rest (request id, timing, CORS) belong to each request. */
const KEPT_HEADERS = ['Content-Type', 'ETag', 'Location', 'X-Generation'] as const;
const METHODS = new Set(['POST', 'PATCH']);
/** Statuses with no body (a Response with one cannot be built for them). */
const NO_BODY = new Set([204, 205, 304]);

/** What a request is, as far as a key is concerned. */
interface Fingerprint {
  userId: string;
  method: string;
  /** Path and query string. */
  path: string;
  /** SHA-256 (hex) over the method, the path and the raw body bytes. */
  hash: string;
}

/** The stored answer: the body as sent (text, so a replay is byte for byte) and the kept headers. */
interface StoredResponse {
  body: string | null;
  headers: Record<string, string>;
}

interface KeyRow {
  /** Set when this request claimed the key: the claim's `locked_at`, as text so no precision is lost. */
  lock: string | null;
  user_id: string | null;
  method: string | null;
  path: string | null;
  body_hash: string | null;
  status: number | null;
  response: StoredResponse | null;
}

/**
 * One statement claims the key or reads who holds it. The insert claims a new key; on a
 * conflict the row is taken over only when it expired (a fresh key) or when it was abandoned by
 * the same request (its Worker died). Otherwise the second branch reads the row as it was when
 * the statement began; it is not there when a concurrent first request inserted it after that
 * (the insert waited for it, then found the conflict), and no row at all means exactly that.
 */
const CLAIM = `
with claimed as (
  insert into idempotency_keys as k (org_id, key, user_id, method, path, body_hash, locked_at, expires_at)
  values ($1::uuid, $2, $3::uuid, $4, $5, $6, now(), now() + interval '${KEY_TTL}')
  on conflict (org_id, key) do update
    set user_id = excluded.user_id, method = excluded.method, path = excluded.path, body_hash = excluded.body_hash,
        status = null, response = null, locked_at = excluded.locked_at, created_at = now(), expires_at = excluded.expires_at
    where k.expires_at <= now()
       or (k.status is null and k.locked_at < now() - interval '${ABANDONED_AFTER}'
           and k.user_id = excluded.user_id and k.method = excluded.method and k.path = excluded.path and k.body_hash = excluded.body_hash)
  returning k.locked_at::text as lock
)
select lock, null::uuid as user_id, null::text as method, null::text as path, null::text as body_hash, null::int as status, null::jsonb as response
from claimed
union all
select null, k.user_id, k.method, k.path, k.body_hash, k.status, k.response
from idempotency_keys k
where k.org_id = $1::uuid and k.key = $2 and not exists (select from claimed)`;

/** Both finishing statements name the claim (`locked_at`), so a claim taken over since then is left alone. */
const STORE = `update idempotency_keys set status = $4, response = $5::jsonb, locked_at = null
where org_id = $1::uuid and key = $2 and locked_at = $3::timestamptz`;
const RELEASE = 'delete from idempotency_keys where org_id = $1::uuid and key = $2 and locked_at = $3::timestamptz';

/**
 * The middleware, for POST and PATCH routes behind requireAuth (it reads the caller's org and
 * user). Without the header it does nothing, not even a statement; other methods pass through.
 * Mount it after anything that refuses a request for being malformed or too frequent (body
 * checks, rate limits), so those refusals never claim a key.
 */
export function idempotency(): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    const key = c.req.raw.headers.get(IDEMPOTENCY_HEADER);
    if (key === null || !METHODS.has(c.req.method)) return next();
    if (!KEY.test(key))
      throw new AppError('invalid_query', `The ${IDEMPOTENCY_HEADER} header must be 1 to 255 printable ASCII characters.`, [
        { path: IDEMPOTENCY_HEADER, message: '1 to 255 printable ASCII characters' },
      ]);

    const { db } = c.var.services;
    const { orgId } = c.var.auth;
    const request = await fingerprintOf(c);
    const { rows } = await db.query<KeyRow>(CLAIM, [orgId, key, request.userId, request.method, request.path, request.hash]);
    const row = rows[0];
    if (!row?.lock) return answerFromStore(row, request);

    const claim = [orgId, key, row.lock] as const;
    try {
      await next();
    } catch (err) {
      // Only reached without an error handler that renders it (app.onError does, inside next()).
      await finish(c, db, RELEASE, [...claim]);
      throw err;
    }
    // Errors thrown by the handler are already rendered here: compose runs onError where they
    // are thrown, so c.res is the final answer, problem+json included.
    if (isTransient(c)) await finish(c, db, RELEASE, [...claim]);
    else await finish(c, db, STORE, [...claim, c.res.status, JSON.stringify(await storedResponse(c.res))]);
  };
}

/**
 * Answers that are not the key's (the claim is released, so a retry runs again): 5xx (our
 * failure), 429 (try later), 412 (a stale If-Match), 400 (the request did not pass validation, so nothing ran; Stripe
 * keeps none either, and the corrected request may use the same key), and anything answered
 * after the client went away (its statements were cancelled: services.ts).
 */
function isTransient(c: Context<AppContext>): boolean {
  const { status } = c.res;
  // 412: the write was refused against a version the client no longer holds; after re-reading,
  // the retry with the same key and the new ETag must run, not replay the refusal.
  return status >= 500 || status === 429 || status === 400 || status === 412 || c.req.raw.signal.aborted;
}

/** The answer when another request holds the key: its stored answer, a 422 or a 409. */
function answerFromStore(row: KeyRow | undefined, request: Fingerprint): Response {
  // No row: a concurrent first request inserted it after this statement began.
  if (!row) throw inProgress();
  const same = row.user_id === request.userId && row.method === request.method && row.path === request.path && row.body_hash === request.hash;
  // Nothing about the stored answer, not even whether it exists, is told to another request.
  if (!same) throw new AppError('idempotency_key_reused', `This ${IDEMPOTENCY_HEADER} was already used for another request; use a new key for a new request.`);
  if (row.status === null || row.response === null) throw inProgress();
  const headers = new Headers(row.response.headers);
  headers.set(REPLAYED_HEADER, 'true');
  return new Response(NO_BODY.has(row.status) ? null : row.response.body, { status: row.status, headers });
}

function inProgress(): AppError {
  return new AppError('idempotency_in_progress', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly.`);
}

/**
 * The request's fingerprint. The body is read through Hono's request (c.req.arrayBuffer), which
 * keeps what it read: the handler's c.req.json() or c.req.text() later are served from it.
 */
async function fingerprintOf(c: Context<AppContext>): Promise<Fingerprint> {
  const url = new URL(c.req.url);
  const path = url.pathname + url.search;
  const method = c.req.method;
  const head = new TextEncoder().encode(`${method} ${path}\n`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return { userId: c.var.auth.userId, method, path, hash: await sha256Hex(bytes) };
}

/** Reads the answer from a clone, so the original still goes to the client. */
async function storedResponse(res: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { body: res.body === null ? null : await res.clone().text(), headers };
}

/**
 * Stores or releases the claim. The handler's work is done and its answer stands, so a failure
 * here is logged, not sent: the claim then stays until it counts as abandoned.
 */
async function finish(c: Context<AppContext>, db: Db, text: string, values: unknown[]): Promise<void> {
  try {
    await db.query(text, values);
  } catch (err) {
    c.var.services.log('error', 'idempotency key not finished', { error: String(err) });
  }
}

/** Rows one purge statement deletes at most: each statement stays short, whatever the backlog. */
export const PURGE_BATCH = 10_000;
/** Statements one purge runs at most (while each comes back full). */
const PURGE_BATCHES = 10;

/**
 * Deletes expired keys (the cron trigger, every 15 minutes): bounded statements through the
 * `expires_at` index, until one deletes fewer than a batch or PURGE_BATCHES ran. Returns how
 * many it deleted. An expired key still present is reusable anyway (the claim takes it over).
 */
export async function purgeExpiredIdempotencyKeys(db: Db, batch = PURGE_BATCH): Promise<number> {
  let total = 0;
  for (let i = 0; i < PURGE_BATCHES; i++) {
    const { rows } = await db.query<{ n: number }>(
      `with gone as (
         delete from idempotency_keys where ctid = any(array(select ctid from idempotency_keys where expires_at < now() limit $1))
         returning 1)
       select count(*)::int as n from gone`,
      [batch],
    );
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < batch) break;
  }
  return total;
}
