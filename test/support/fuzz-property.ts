// The route fuzzer's property (test/security/fuzz.test.ts): how a generated request is sent
// through the Worker's fetch, and what every answer must keep.
import { SELF } from 'cloudflare:test';
import { ERROR_STATUS } from '../../src/core/errors';
import type { FuzzRequest } from './fuzz-requests';
import { encodeAny } from './fuzz-values';

/** The security suite's LEAK (test/security/routes.test.ts): SQL error text or a stack in a body. */
export const LEAK = /syntax error|relation "|column "|pg_|ERROR:|at character|SQLSTATE|stack|node_modules/i;

/** Documentation routes: their 200 bodies are the documents themselves, so LEAK does not apply to those. */
const DOCUMENTS = new Set(['/openapi.json', '/docs']);

export interface FuzzResponse {
  status: number;
  type: string;
  text: string;
}

export function requestUrl(req: FuzzRequest): string {
  const qs = req.query.map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`).join('&') + req.rawQuery;
  return `http://localhost${req.path}${qs ? `?${qs}` : ''}`;
}

export async function send(req: FuzzRequest): Promise<FuzzResponse> {
  const res = await SELF.fetch(requestUrl(req), { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

/** The property: never a 5xx; every error is problem+json with a code of the closed list (and its status); no SQL text or stack in any body. */
export function violation(req: FuzzRequest, res: FuzzResponse): string | null {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status >= 400) {
    if (!res.type.includes('application/problem+json')) return `a ${res.status} as ${res.type || 'no content type'}, not problem+json`;
    if (req.method !== 'HEAD') {
      let body: { code?: unknown };
      try {
        body = JSON.parse(res.text);
      } catch {
        return 'a problem body that is not JSON';
      }
      const code = body?.code;
      if (typeof code !== 'string' || !Object.hasOwn(ERROR_STATUS, code)) return `code ${JSON.stringify(code)} is not in src/core/errors.ts`;
      if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== res.status) return `code ${code} answered with status ${res.status}`;
    }
  }
  if (!(res.status < 300 && DOCUMENTS.has(req.route))) {
    // Only text the request itself did not carry: an error may quote the client's own input.
    const sent = decodeLoosely(`${req.path} ${req.query.flat().join(' ')} ${req.body ?? ''} ${Object.values(req.headers).join(' ')}`).toLowerCase();
    for (const m of res.text.matchAll(new RegExp(LEAK.source, 'gi'))) if (!sent.includes(m[0].toLowerCase())) return `the body leaks "${m[0]}"`;
  }
  return null;
}

function decodeLoosely(s: string): string {
  try {
    return `${s} ${decodeURIComponent(s)}`;
  } catch {
    return s;
  }
}

/** One line for a report: method, URL (cut), headers that matter, body (cut). */
export function describeRequest(req: FuzzRequest, max = 300): string {
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
  const h = Object.entries(req.headers)
    .filter(([k]) => k !== 'Authorization')
    .map(([k, v]) => `${k}: ${cut(v)}`);
  const auth =
    req.headers.Authorization === undefined
      ? 'no token'
      : req.headers.Authorization.startsWith('Bearer ey')
        ? 'token'
        : `Authorization: ${cut(req.headers.Authorization)}`;
  return `${req.method} ${cut(requestUrl(req).replace('http://localhost', ''))} [${[auth, ...h].join('; ')}]${req.body === undefined ? '' : ` body ${cut(JSON.stringify(req.body))}`}`;
}
