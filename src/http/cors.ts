import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { readVars } from '../env';
import type { AppContext } from './context';

/**
 * Browsers may call the API from other origins (a web app using postgrest-js against
 * /rest/v1, the docs page): `CORS_ORIGINS` is `*` or a comma-separated list of origins.
 * Credentials are Bearer tokens in a header, never cookies, so `*` exposes nothing a page
 * could not already send; a list narrows it further.
 */
export function corsPolicy(): MiddlewareHandler<AppContext> {
  return cors({
    origin: (origin, c) => {
      const allowed = readVars(c.env).CORS_ORIGINS;
      return allowed === '*' ? '*' : allowed.has(origin) ? origin : null;
    },
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // What postgrest-js and supabase-js send, besides the usual.
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'Prefer',
      'Range',
      'Range-Unit',
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
      'X-Min-Generation',
      'X-Request-Id',
      'X-Client-Info',
      'Accept-Profile',
      'Content-Profile',
      'apikey',
    ],
    exposeHeaders: [
      'Content-Range',
      'Preference-Applied',
      'X-Request-Id',
      'Server-Timing',
      'ETag',
      'Location',
      'Retry-After',
      'WWW-Authenticate',
      'X-Generation',
      'Idempotent-Replayed',
    ],
    maxAge: 86400,
  });
}
