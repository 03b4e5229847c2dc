import type { MiddlewareHandler } from 'hono';
import { AppError } from '../core/errors';
import { MAX_BODY_DEPTH } from '../query/parse-json';
import type { AppContext } from './context';

// The media types @hono/zod-openapi's own gate accepts for a JSON body (application/json and
// application/*+json, with parameters): the same pattern, so nothing this passes is refused there.
const JSON_MEDIA_TYPE = /^application\/([a-z.-]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Whether JSON text nests arrays and objects deeper than `max`, in one pass without recursion,
 * so it can run before anything that recurses (zod, the where-tree parser). Brackets inside
 * strings, escaped quotes included, are skipped; malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character (a quote included).
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/**
 * For routes that take a JSON body: a 415 for any other media type (or none), and a 400 for a
 * body nested deeper than MAX_BODY_DEPTH, both before the body is parsed or validated. The size
 * is already bounded by limitRequestSize (1 MB), so the scan is bounded too.
 */
export function jsonBody(): MiddlewareHandler<AppContext> {
  return async (c, next) => {
    if (!JSON_MEDIA_TYPE.test(c.req.header('Content-Type') ?? ''))
      throw new AppError('unsupported_media_type', 'This route takes a JSON body: send it with Content-Type: application/json (or application/*+json).');
    if (nestsDeeperThan(await c.req.text(), MAX_BODY_DEPTH))
      throw new AppError('invalid_body', `The body nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels.`, [
        { path: '(root)', message: `deeper than ${MAX_BODY_DEPTH} levels` },
      ]);
    await next();
  };
}
