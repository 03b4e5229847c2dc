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
  const lists = new WeakMap<object, Set<string> | '*'>();
  const allowed = (env: object, value: string) => {
    let list = lists.get(env);
    if (!list) {
      const raw = readVars(env as Parameters<typeof readVars>[0]).CORS_ORIGINS.trim();
      list = raw === '*' ? '*' : new Set(raw.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean));
      lists.set(env, list);
    }
    return list === '*' ? '*' : list.has(value) ? value : null;
  };
  return cors({
    origin: (origin, c) => allowed(c.env, origin),
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    // What postgrest-js and supabase-js send, besides the usual.
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Prefer', 'Range', 'Range-Unit', 'If-Match', 'If-None-Match', 'X-Request-Id', 'X-Client-Info', 'Accept-Profile', 'Content-Profile', 'apikey'],
    exposeHeaders: ['Content-Range', 'Preference-Applied', 'X-Request-Id', 'Server-Timing', 'ETag', 'Location', 'Retry-After', 'WWW-Authenticate'],
    maxAge: 86400,
  });
}
