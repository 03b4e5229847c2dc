import { AppError } from '../core/errors';

/**
 * A record's version (`updated_at` in microseconds, src/query/plan.ts) as an entity tag:
 * `"1733349000123456"`. Strong: it changes with every committed write of the record.
 */
export const etagOf = (version: string) => `"${version}"`;

/**
 * The versions an `If-Match` accepts: absent or `*` accepts any (no check). Weak tags (`W/"…"`)
 * compare by their value, as a write's If-Match may carry what a GET answered.
 */
export function parseIfMatch(header: string | undefined): string[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const tags = [...header.matchAll(/(?:W\/)?"([^"]*)"/g)].map((m) => m[1]);
  if (!tags.length)
    throw new AppError('invalid_query', 'If-Match: expected entity tags as ETag gives them ("…"), or *.', [{ path: 'If-Match', message: 'malformed' }]);
  return tags;
}
