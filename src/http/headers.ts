import type { Context, MiddlewareHandler } from 'hono';

/** Cache-Control of every answer of a route behind requireAuth, until the edge tiers state their own policy. */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/**
 * Cache-Control of a private answer a client may keep and revalidate (If-None-Match): the read
 * tiers' answers, which carry an ETag. `no-cache` because access and data may change at any
 * moment: the client asks again, and the answer is a 304 while nothing moved.
 */
export const REVALIDATE_CACHE_CONTROL = 'private, no-cache';

/** Requests whose answer, whatever it turns out to be (errors included), is the caller's alone: their Cache-Control. */
const privateAnswers = new WeakMap<Context, string>();

/** Marks the request's answer private; requireAuth does so before it checks anything. */
export function answerPrivately(c: Context): void {
  privateAnswers.set(c, PRIVATE_CACHE_CONTROL);
}

/** A private answer with an ETag the client may revalidate (set once the answer is known good). */
export function answerRevalidatably(c: Context): void {
  privateAnswers.set(c, REVALIDATE_CACHE_CONTROL);
}

/**
 * Headers every response gets, set on the final response (after errors, 404s and CORS
 * preflights are rendered, so those get them too): `X-Content-Type-Options: nosniff`
 * always, and `Cache-Control: private, no-store` on answers marked private (`private, no-cache` on
 * the read tiers' answers, which carry an ETag).
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    const cacheControl = privateAnswers.get(c);
    // An error rendered after a route asked for revalidation is still not to be kept.
    if (cacheControl) c.header('Cache-Control', c.res.ok || c.res.status === 304 ? cacheControl : PRIVATE_CACHE_CONTROL);
  };
}
