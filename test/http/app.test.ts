import { describe, expect, it } from 'vitest';
import { get } from '../support/http';

// The routes here read Postgres; those that answer without it are in app.unit.test.ts.
describe('every response', () => {
  it('carries X-Request-Id and Server-Timing with total', async () => {
    for (const path of ['/empty', '/healthz', '/nope', '/api/v1/appusers/']) {
      const res = await get(path);
      expect(res.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('server-timing'), path).toMatch(/total;dur=/);
    }
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
});
