import { OpenAPIHono, z } from '@hono/zod-openapi';
import { AppError, ERROR_STATUS } from '../core/errors';
import type { AppContext } from './context';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...Array<keyof typeof ERROR_STATUS>]),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    rule: z.string().optional().openapi({ description: 'The data rule a write broke, e.g. one_default_pipeline_per_org.' }),
  })
  .openapi('Problem');

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** A 200-style response whose body is `{ data: <schema> }`, as every /v1 answer of one thing is. */
export const dataResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema: z.object({ data: schema }) } },
});

/** The shared error responses every authenticated route declares. */
export const errorResponses = {
  400: problem('Invalid query or body'),
  401: problem('Missing, malformed, expired or wrongly signed token'),
  404: problem('Not found (also: a record of another org)'),
  429: problem('Rate limited'),
  500: problem('Internal error (details only in the log, under the request id)'),
  503: problem('Database unavailable'),
} as const;

/** A zod issue path as the API writes paths: `records[2].first_name`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** An OpenAPIHono whose validation failures render as the same problem+json as every error. */
export function createRouter() {
  return new OpenAPIHono<AppContext>({
    defaultHook: (result) => {
      if (result.success) return;
      const issues = result.error.issues.flatMap((i) =>
        // A strict object names each field it refuses at that field's own path.
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ path: issuePath([...i.path, k]), message: 'unknown or read-only field' }))
          : [{ path: issuePath(i.path) || '(root)', message: i.message }],
      );
      const target = (result as { target?: string }).target;
      const unknown = result.error.issues.some((i) => i.code === 'unrecognized_keys');
      const code = target === 'json' ? (unknown ? 'unknown_field' : 'invalid_body') : 'invalid_query';
      throw new AppError(code, 'The request did not pass validation.', issues);
    },
  });
}
