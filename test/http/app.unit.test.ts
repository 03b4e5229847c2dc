import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { get } from '../support/http';

// Routes and middleware that answer without Postgres (the unit lane has none); the ones that
// read it are in app.test.ts.
describe('every response', () => {
  it('echoes a safe incoming request id and replaces an unsafe one', async () => {
    expect((await get('/empty', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    const res = await get('/empty', { headers: { 'X-Request-Id': 'bad id<script>' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('system routes', () => {
  it('GET /empty touches nothing', async () => {
    const res = await get('/empty');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect(res.headers.get('server-timing')).not.toMatch(/db;/);
  });

  it('GET /healthz answers from the Worker alone (this lane has no database)', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('server-timing')).not.toMatch(/db(-connect)?;/);
  });

  it('GET /healthz?deep=1 is a database check for authenticated callers only', async () => {
    for (const headers of [{}, { Authorization: 'Bearer a.b.c' }] as Array<Record<string, string>>) {
      const res = await get('/healthz?deep=1', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect((await get('/healthz?deep=yes')).body).toMatchObject({ code: 'invalid_query' });
  });

  it('documents /healthz: public, with deep=1 behind a bearer token', async () => {
    const op = (await get('/openapi.json')).body.paths['/healthz'].get;
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'deep', in: 'query', required: false })]);
    expect(op.security).toEqual([{}, { bearer: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '503']);
    expect(op.responses['200'].content['application/json'].schema.required).toEqual(['status']);
  });

  it('an unknown route is a problem+json 404', async () => {
    const res = await get('/v0/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'not_found', status: 404, title: 'Not found' });
  });

  it('serves the OpenAPI document and the reference page', async () => {
    const doc = await get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/appusers/', '/healthz']));
    const page = await get('/docs');
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('/openapi.json');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    SELF.fetch('http://localhost/rest/v1/contacts', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,prefer,range,x-client-info' },
    });

  it('answers a browser preflight for postgrest-js headers, before auth', async () => {
    const res = await preflight('https://app.example.com');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['authorization', 'prefer', 'range', 'x-client-info']) expect(allowed).toContain(h);
  });

  it('lets a page read Content-Range and the request id', async () => {
    const res = await get('/empty', { headers: { Origin: 'https://app.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    for (const h of ['content-range', 'preference-applied', 'x-request-id']) expect(exposed).toContain(h);
  });

  it('with CORS_ORIGINS set, names only the listed origins', async () => {
    const app = createApp();
    const listed = { ...env, CORS_ORIGINS: 'https://app.example.com, https://admin.example.com/' };
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const ask = (origin: string) => app.fetch(new Request('http://localhost/empty', { headers: { Origin: origin } }), listed, ctx);
    expect((await ask('https://admin.example.com')).headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect((await ask('https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
