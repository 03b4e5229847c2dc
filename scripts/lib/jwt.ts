import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sign } from 'hono/jwt';
import { ROOT } from './config';

/** JWT_SECRET from the environment, else the dev value in wrangler.toml [vars] (one source of truth). */
export function jwtSecret(): string {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const m = /^JWT_SECRET\s*=\s*"([^"]+)"/m.exec(toml);
  if (!m) throw new Error('JWT_SECRET is neither in the environment nor in wrangler.toml [vars]');
  return m[1];
}

export interface TokenClaims {
  sub: string;
  org: string;
  role: string;
}

export function signToken(claims: TokenClaims, ttlSeconds = 24 * 3600, secret = jwtSecret()): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ ...claims, iat: now, exp: now + ttlSeconds }, secret, 'HS256');
}
