import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../core/errors';
import type { AppContext } from './context';

export const MAX_URL_LENGTH = 16 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Request headers in total; Cloudflare's edge refuses more than 128 KB before the Worker runs. */
export const MAX_HEADER_BYTES = 32 * 1024;

/** Bytes of the request's headers as sent: each name, value, `: ` and CRLF (header values are byte strings). */
function headerBytes(headers: Headers): number {
  let n = 0;
  for (const [name, value] of headers) n += name.length + value.length + 4;
  return n;
}

/** Refuses oversized URLs (414), headers (431) and bodies (413) before any parsing or database work. */
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
    if (headerBytes(c.req.raw.headers) > MAX_HEADER_BYTES)
      throw new AppError('request_header_fields_too_large', `Request headers are limited to ${MAX_HEADER_BYTES} bytes in total.`);
    return body(c, next);
  };
}
