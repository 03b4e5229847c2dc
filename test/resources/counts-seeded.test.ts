import { beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http';
import { demoAdmin } from '../support/seeded';
import { sql } from '../support/sql';

// Counts on the seeded org (about 100k contacts): estimated above COUNT_EXACT_LIMIT, exact below.
describe('counts on a big org', () => {
  let token: string;
  let orgId: string;
  beforeAll(async () => {
    ({ orgId, token } = await demoAdmin());
  });

  const truth = async (where: string, values: unknown[] = []) =>
    (await sql<{ n: number }>(`select count(*)::int as n from contacts c where c.org_id = $1 and c.deleted_at is null ${where}`, [orgId, ...values]))[0].n;

  it('appusers: a broad filter reports a planner estimate, close to the truth, and says so', async () => {
    const res = await get('/api/v1/appusers/?page_size=5', { token });
    expect(res.status).toBe(200);
    expect(res.body.meta.count_method).toBe('estimated');
    const n = await truth('');
    expect(res.body.count).toBeGreaterThan(n * 0.8);
    expect(res.body.count).toBeLessThan(n * 1.2);
    expect(res.body.pages).toBe(Math.ceil(res.body.count / 5));
  });

  it('appusers: a selective filter is counted exactly', async () => {
    const res = await get('/api/v1/appusers/?last_name=wickow', { token });
    expect(res.body.meta.count_method).toBe('exact');
    expect(res.body.count).toBe(await truth(`and c.last_name ilike '%wickow%'`));
  });

  it('/v1: count=estimated is exact when small, planned when large; count=exact is exact', async () => {
    const big = await get('/v1/contacts?limit=1', { token, headers: { Prefer: 'count=estimated' } });
    expect(big.body.count.method).toBe('estimated');
    const exact = await get('/v1/contacts?limit=1', { token, headers: { Prefer: 'count=exact' } });
    expect(exact.body.count).toEqual({ value: await truth(''), method: 'exact' });
    const small = await get('/v1/contacts?limit=1&last_name=ilike.*wickow*', { token, headers: { Prefer: 'count=estimated' } });
    expect(small.body.count).toEqual({ value: await truth(`and c.last_name ilike '%wickow%'`), method: 'exact' });
  });
});
