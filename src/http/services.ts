import type { MiddlewareHandler } from 'hono';
import { setMetric } from 'hono/timing';
import { createDb } from '../db/client';
import { readVars } from '../env';
import type { AppContext } from './context';
import { createLogger } from './logger';

/**
 * Whether a read tolerates the staleness of Hyperdrive's query cache (decision 0045): a GET whose
 * client sent `Cache-Control: max-stale` and names no write it must see (X-Min-Generation). Its
 * connection goes through HYPERDRIVE_CACHED, and the read tiers do not store its answer.
 */
export function toleratesStale(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.headers.has('X-Min-Generation')) return false;
  return /(?:^|,)\s*max-stale\b/i.test(req.headers.get('Cache-Control') ?? '');
}

/**
 * Builds the request's services once. The database connection opens on first query only,
 * so routes that never touch Postgres pay nothing, and it is closed after the response.
 */
export function services(): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    const vars = readVars(c.env);
    const log = createLogger(c.var.requestId, vars.LOG_LEVEL);
    const db = createDb(c.env, (msg, extra) => log('error', msg, extra), {
      connectTimeoutMs: vars.CONNECT_TIMEOUT_MS,
      binding: toleratesStale(c.req.raw) ? 'cached' : 'fresh',
    });
    c.set('services', { db, log, vars });
    // The client went away (wrangler.toml: enable_request_signal): cancel what still runs in
    // Postgres instead of letting it run on to the statement timeout. In waitUntil, since the
    // request's own work may be cut off once its client is gone.
    const signal = c.req.raw.signal;
    const onAbort = () => {
      const cancelling = db.cancel().catch(() => {});
      try {
        c.executionCtx.waitUntil(cancelling);
      } catch {
        // No execution context (a bare app.fetch): the promise runs on its own.
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await next();
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (db.stats.queries > 0) {
        setMetric(c, 'db-connect', db.stats.connectMs, 'opening the connection');
        const together = db.stats.maxInFlight > 1 ? `, ${db.stats.maxInFlight} at once` : '';
        const via = db.binding === 'cached' ? ', HYPERDRIVE_CACHED' : '';
        setMetric(c, 'db', db.stats.ms, `${db.stats.queries} queries${together}${via}`);
      }
      const closing = db.close();
      try {
        c.executionCtx.waitUntil(closing);
      } catch {
        await closing;
      }
    }
  };
}
