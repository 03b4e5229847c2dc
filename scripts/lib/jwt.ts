import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sign } from 'hono/jwt';
import { ROOT } from './config';

/** The Worker's default TOKEN_MAX_AGE_SECONDS (src/env.ts). */
const DEFAULT_TOKEN_MAX_AGE_SECONDS = 86_400;

/** A var from the environment, else its dev value in wrangler.toml [vars] (one source of truth). */
function workerVar(name: string): string | undefined {
  if (process.env[name]) return process.env[name];
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  return new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm').exec(toml)?.[1];
}

/** JWT_SECRET from the environment, else the dev value in wrangler.toml [vars]. */
export function jwtSecret(): string {
  const secret = workerVar('JWT_SECRET');
  if (!secret) throw new Error('JWT_SECRET is neither in the environment nor in wrangler.toml [vars]');
  return secret;
}

/** The longest lifetime the Worker accepts (TOKEN_MAX_AGE_SECONDS, as jwtSecret finds it). */
export function tokenMaxAgeSeconds(): number {
  const raw = workerVar('TOKEN_MAX_AGE_SECONDS');
  const seconds = raw === undefined ? DEFAULT_TOKEN_MAX_AGE_SECONDS : Number(raw);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`TOKEN_MAX_AGE_SECONDS must be a positive integer, not ${raw}`);
  return seconds;
}

export interface TokenClaims {
  sub: string;
  org: string;
  role: string;
}

/**
 * A token the Worker accepts: issued now (`iat`), expiring `ttlSeconds` later (by default the
 * longest it accepts). The Worker refuses `exp - iat` above TOKEN_MAX_AGE_SECONDS, so callers
 * that take a ttl from a user check it against tokenMaxAgeSeconds() first (scripts/token.ts).
 */
export function signToken(claims: TokenClaims, ttlSeconds = tokenMaxAgeSeconds(), secret = jwtSecret()): Promise<string> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`a token's ttl is a positive number of seconds, not ${ttlSeconds}`);
  const now = Math.floor(Date.now() / 1000);
  return sign({ ...claims, iat: now, exp: now + ttlSeconds }, secret, 'HS256');
}
