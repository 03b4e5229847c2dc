import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../core/errors';
import type { AppContext } from './context';

export const MAX_URL_LENGTH = 16 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

/** Refuses oversized URLs (414) and bodies (413) before any parsing or database work. */
export function limitRequestSize(): MiddlewareHandler<AppContext> {
  const body = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
    },
  });
  return async (c, next) => {
    if (c.req.url.length > MAX_URL_LENGTH)
      throw new AppError('uri_too_long', `URLs are limited to ${MAX_URL_LENGTH} characters; send large queries as POST /v1/{resource}/query.`);
    return body(c, next);
  };
}
