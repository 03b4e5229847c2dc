import { AppError } from '../core/errors';

/**
 * Opaque keyset cursors: base64url(JSON payload) + "." + base64url(HMAC-SHA256). The payload
 * carries the last row's order-key values, a hash of the query's shape (resource, org, user,
 * filters, order, search) and an expiry. A tampered, expired or mismatched cursor is a 400.
 */
export interface CursorPayload {
  v: 1;
  /** Shape hash: the cursor is only valid for the query that produced it. */
  h: string;
  /** Order-key values of the last row returned, as Postgres text (or null). */
  k: (string | null)[];
  /** Expiry, seconds since the epoch. */
  x: number;
  /** Search mode that produced the page, when auto mode fell back (signed like the rest). */
  m?: string;
}

export const CURSOR_TTL_SECONDS = 24 * 3600;

const enc = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    // Domain-separated from JWT signing: a cursor can never be confused with a token.
    key = crypto.subtle.importKey('raw', enc.encode(`cursor-v1:${secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keyCache.set(secret, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export async function shapeHash(shape: unknown): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', enc.encode(JSON.stringify(shape)));
  return b64url(new Uint8Array(digest)).slice(0, 22);
}

export async function encodeCursor(secret: string, shape: string, keys: (string | null)[], now = Date.now(), mode?: string): Promise<string> {
  const payload: CursorPayload = { v: 1, h: shape, k: keys, x: Math.floor(now / 1000) + CURSOR_TTL_SECONDS, ...(mode ? { m: mode } : {}) };
  const body = b64url(enc.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)));
  return `${body}.${b64url(sig)}`;
}

const invalid = (detail: string) => new AppError('invalid_cursor', detail, [{ path: 'cursor', message: detail }]);

/**
 * Checks a cursor's signature and expiry and returns what it carries. Nothing in it is used
 * before this: the search mode it records (a fallback) selects the shape it is then matched to.
 */
export async function verifyCursor(secret: string, cursor: string, now = Date.now()): Promise<CursorPayload> {
  const m = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(cursor);
  if (!m) throw invalid('The cursor is malformed.');
  let ok = false;
  try {
    const sig = fromB64url(m[2]);
    // Only the canonical encoding is accepted: spare low bits in the last character must not vary.
    ok = b64url(sig) === m[2] && (await crypto.subtle.verify('HMAC', await hmacKey(secret), sig, enc.encode(m[1])));
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('The cursor has been tampered with.');
  let payload: CursorPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(fromB64url(m[1])));
  } catch {
    throw invalid('The cursor is malformed.');
  }
  if (payload?.v !== 1 || !Array.isArray(payload.k) || typeof payload.x !== 'number' || typeof payload.h !== 'string')
    throw invalid('The cursor is malformed.');
  if (payload.x * 1000 < now) throw invalid('The cursor has expired; start again from the first page.');
  return payload;
}

/** A verified cursor belongs to this query: same shape hash, one value per order key. */
export function checkCursorShape(payload: CursorPayload, shape: string, keyCount: number): void {
  if (payload.h !== shape || payload.k.length !== keyCount) {
    throw invalid('The cursor belongs to a different query (filters, order or search changed); start again from the first page.');
  }
}

/** verifyCursor + checkCursorShape, for a query whose shape is known before the cursor is read. */
export async function decodeCursor(secret: string, cursor: string, shape: string, keyCount: number, now = Date.now()): Promise<CursorPayload> {
  const payload = await verifyCursor(secret, cursor, now);
  checkCursorShape(payload, shape, keyCount);
  return payload;
}
