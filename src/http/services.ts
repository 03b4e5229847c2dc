import type { MiddlewareHandler } from 'hono';
import { setMetric } from 'hono/timing';
import { createDb } from '../db/client';
import { readVars } from '../env';
import type { AppContext } from './context';
import { createLogger } from './logger';

/**
 * Builds the request's services once. The database connection opens on first query only,
 * so routes that never touch Postgres pay nothing, and it is closed after the response.
 */
export function services(): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    const vars = readVars(c.env);
    const log = createLogger(c.var.requestId, vars.LOG_LEVEL);
    const db = createDb(c.env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
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
        setMetric(c, 'db', db.stats.ms, `${db.stats.queries} queries${together}`);
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
