import type { Context, MiddlewareHandler } from 'hono';

/** Cache-Control of every answer of a route behind requireAuth, until the edge tiers state their own policy. */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/** Requests whose answer, whatever it turns out to be (errors included), is the caller's alone. */
const privateAnswers = new WeakSet<Context>();

/** Marks the request's answer private; requireAuth does so before it checks anything. */
export function answerPrivately(c: Context): void {
  privateAnswers.add(c);
}

/**
 * Headers every response gets, set on the final response (after errors, 404s and CORS
 * preflights are rendered, so those get them too): `X-Content-Type-Options: nosniff`
 * always, and `Cache-Control: private, no-store` on answers marked private.
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    if (privateAnswers.has(c)) c.header('Cache-Control', PRIVATE_CACHE_CONTROL);
  };
}
