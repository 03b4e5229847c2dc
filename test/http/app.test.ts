import { describe, expect, it } from 'vitest';
import { get } from '../support/http';

describe('every response', () => {
  it('carries X-Request-Id and Server-Timing with total', async () => {
    for (const path of ['/empty', '/healthz', '/nope', '/api/v1/appusers/']) {
      const res = await get(path);
      expect(res.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('server-timing'), path).toMatch(/total;dur=/);
    }
  });

  it('echoes a safe incoming request id and replaces an unsafe one', async () => {
    expect((await get('/empty', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    const res = await get('/empty', { headers: { 'X-Request-Id': 'bad id<script>' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports database time in Server-Timing when the route touched Postgres', async () => {
    const res = await get('/healthz');
    expect(res.headers.get('server-timing')).toMatch(/db;dur=[\d.]+;desc="1 queries"/);
    expect(res.headers.get('server-timing')).toMatch(/db-connect;dur=[\d.]+;desc="opening the connection"/);
    expect((await get('/empty')).headers.get('server-timing')).not.toMatch(/db;/);
  });
});

describe('system routes', () => {
  it('GET /healthz says Postgres answers', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', db: { ok: true, driver: 'hyperdrive' } });
  });

  it('GET /empty touches nothing', async () => {
    const res = await get('/empty');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
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
