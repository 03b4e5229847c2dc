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
  })
  .openapi('Problem');

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
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

/** An OpenAPIHono whose validation failures render as the same problem+json as every error. */
export function createRouter() {
  return new OpenAPIHono<AppContext>({
    defaultHook: (result) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      const target = (result as { target?: string }).target;
      throw new AppError(target === 'json' ? 'invalid_body' : 'invalid_query', 'The request did not pass validation.', issues);
    },
  });
}
