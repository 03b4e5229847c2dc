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
    const db = createDb(c.env, (msg, extra) => log('error', msg, extra), vars.STATEMENT_TIMEOUT_MS);
    c.set('services', { db, log, vars });
    try {
      await next();
    } finally {
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
