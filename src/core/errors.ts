/**
 * One error model: AppError with a closed code list, one code → status table, rendered as
 * RFC 9457 problem+json by the app's onError. Codes are stable and never reused.
 */
export const ERROR_STATUS = {
  invalid_query: 400,
  unknown_field: 400,
  unsupported_operator: 400,
  invalid_cursor: 400,
  invalid_body: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  idempotency_in_progress: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  constraint_violation: 422,
  idempotency_key_reused: 422,
  query_too_expensive: 422,
  rate_limited: 429,
  request_header_fields_too_large: 431,
  internal: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  invalid_query: 'Invalid query',
  unknown_field: 'Unknown field',
  unsupported_operator: 'Unsupported operator',
  invalid_cursor: 'Invalid cursor',
  invalid_body: 'Invalid request body',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  not_acceptable: 'Not acceptable',
  conflict: 'Conflict',
  idempotency_in_progress: 'Idempotent request in progress',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Payload too large',
  uri_too_long: 'URI too long',
  unsupported_media_type: 'Unsupported media type',
  constraint_violation: 'Constraint violation',
  idempotency_key_reused: 'Idempotency key reused',
  query_too_expensive: 'Query too expensive',
  rate_limited: 'Rate limited',
  request_header_fields_too_large: 'Request header fields too large',
  internal: 'Internal error',
  service_unavailable: 'Service unavailable',
};

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** The data rule a write broke (`one_default_pipeline_per_org`), rendered as the problem's `rule`. */
    readonly rule?: string,
  ) {
    super(detail);
    this.status = ERROR_STATUS[code];
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  rule?: string;
}

export function toProblem(err: AppError, requestId: string): Problem {
  return {
    type: `https://docs.edge-crm.dev/errors/${err.code}`,
    title: TITLES[err.code],
    status: err.status,
    detail: err.detail,
    code: err.code,
    requestId,
    ...(err.errors?.length ? { errors: err.errors } : {}),
    ...(err.rule ? { rule: err.rule } : {}),
  };
}

/** Postgres SQLSTATEs that are the caller's fault, mapped to public codes. */
const PG_STATES: Record<string, { code: ErrorCode; detail: string }> = {
  '23505': { code: 'conflict', detail: 'A record with these unique values already exists.' },
  '23503': { code: 'constraint_violation', detail: 'A referenced record does not exist.' },
  '23514': { code: 'constraint_violation', detail: 'A value violates a data constraint.' },
  '23502': { code: 'constraint_violation', detail: 'A required value is missing.' },
  '22P02': { code: 'invalid_query', detail: 'A value has the wrong format.' },
  '22007': { code: 'invalid_query', detail: 'A date or time value has the wrong format.' },
  '22008': { code: 'invalid_query', detail: 'A date or time value is out of range.' },
  '22003': { code: 'invalid_query', detail: 'A number is out of range.' },
  // Text in Postgres cannot hold U+0000: a value carrying it matches and stores nothing.
  '22021': { code: 'invalid_query', detail: 'A value contains a character the database cannot hold (NUL, U+0000).' },
  '22P05': { code: 'invalid_query', detail: 'A value contains a character the database cannot hold.' },
  '57014': { code: 'query_too_expensive', detail: 'The query took too long; narrow the filter or use a cursor.' },
};

/**
 * Class 22 is "data exception": a value Postgres cannot use (an invalid regular expression 2201B,
 * a LIKE pattern ending in its escape 22025, a time zone offset beyond ±15:59 22009, …). Values
 * reach SQL only as bound parameters, so these are the caller's; the query layer validates what
 * it can before SQL and names the parameter (execute.ts), and this is the fallback.
 */
const DATA_EXCEPTION = { code: 'invalid_query', detail: 'A value cannot be used in this query.' } as const;

/** Maps a database error to a public AppError; the original stays in the log only (and as its `cause`). */
export function fromDatabaseError(err: unknown): AppError | null {
  const state = sqlStateOf(err);
  if (state === undefined) return null;
  const known = Object.hasOwn(PG_STATES, state) ? PG_STATES[state] : state.startsWith('22') ? DATA_EXCEPTION : undefined;
  if (known) return withCause(new AppError(known.code, known.detail), err);
  if (/^(08|53|57P)/.test(state)) return withCause(new AppError('service_unavailable', 'The database is unavailable; retry shortly.'), err);
  return null;
}

function withCause(mapped: AppError, cause: unknown): AppError {
  mapped.cause = cause;
  return mapped;
}

/**
 * The SQLSTATE of a database error: the driver's own error, or the one an AppError was mapped
 * from (fromDatabaseError keeps it as the cause).
 */
export function sqlStateOf(err: unknown): string | undefined {
  if (err instanceof AppError) return err.cause === undefined ? undefined : sqlStateOf(err.cause);
  const state = (err as { code?: unknown })?.code;
  return typeof state === 'string' && /^[0-9A-Z]{5}$/.test(state) ? state : undefined;
}
