import { env, SELF } from 'cloudflare:test';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { get, getWithoutDatabase } from '../support/http';

// Headers every response carries, and the Cache-Control of the routes behind requireAuth, for
// the answers that need no database. Authenticated successes are in headers.test.ts.
const PUBLIC = ['/empty', '/healthz', '/openapi.json', '/docs', '/v0/nothing-here'];
const AUTHENTICATED = ['/v1/contacts', '/v1/contacts/00000000-0000-4000-8000-000000000001', '/api/v1/appusers/', '/rest/v1/contacts', '/healthz?deep=1'];

describe('response headers', () => {
  it('X-Content-Type-Options: nosniff on every response, errors and 404s included', async () => {
    for (const path of [...PUBLIC, ...AUTHENTICATED]) {
      const res = await get(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const preflight = await SELF.fetch('http://localhost/v1/contacts', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('x-content-type-options')).toBe('nosniff');
    const tooLong = await get(`/v1/contacts?q=${'x'.repeat(20_000)}`);
    expect(tooLong.status).toBe(414);
    expect(tooLong.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('no Cache-Control on public routes', async () => {
    for (const path of PUBLIC) {
      const res = await get(path);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('cache-control'), path).toBeNull();
    }
  });

  it('Cache-Control: private, no-store on every answer of a route behind requireAuth, refusals included', async () => {
    for (const path of AUTHENTICATED) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('cache-control'), path).toBe('private, no-store');
    }
    // A well-formed token reaches the user lookup, here with the database unreachable: a 503, still private.
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(
      { sub: '00000000-0000-4000-8000-00000000b001', org: '00000000-0000-4000-8000-00000000b002', role: 'admin', iat: now, exp: now + 60 },
      env.JWT_SECRET,
      'HS256',
    );
    const unavailable = await getWithoutDatabase('/v1/contacts', { token });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('cache-control')).toBe('private, no-store');
    expect(unavailable.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
