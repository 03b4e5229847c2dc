import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';

// Authenticated answers carry Cache-Control: private, no-store, except the read tiers' answers
// (lists, gets, /rest/v1, appusers): private, no-cache with an ETag the client revalidates
// (If-None-Match → 304). A tier route's error is no-store. Refusals and public routes:
// headers.unit.test.ts.
describe('headers of authenticated answers', () => {
  let token: string;
  beforeAll(async () => {
    const org: TestOrg = await createOrg();
    token = await tokenFor(org.users.member);
  });

  it('successes and errors of the routes behind requireAuth are private and nosniff', async () => {
    const revalidate = 'private, no-cache';
    const noStore = 'private, no-store';
    const cases: Array<[string, number, string]> = [
      ['/v1/contacts', 200, revalidate],
      ['/api/v1/appusers/', 200, revalidate],
      ['/rest/v1/contacts?select=id', 200, revalidate],
      ['/healthz?deep=1', 200, noStore],
      ['/v1/contacts?order=nope.asc', 400, noStore],
      [`/v1/contacts/${crypto.randomUUID()}`, 404, noStore],
    ];
    for (const [path, status, cacheControl] of cases) {
      const res = await get(path, { token });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('cache-control'), path).toBe(cacheControl);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      if (cacheControl === revalidate) {
        const etag = res.headers.get('etag') as string;
        expect(etag, path).toMatch(/^(W\/)?"[^"]+"$/);
        const again = await get(path, { token, headers: { 'If-None-Match': etag } });
        expect(again.status, path).toBe(304);
        expect(again.headers.get('etag'), path).toBe(etag);
        expect(again.headers.get('cache-control'), path).toBe(revalidate);
      }
    }
    // The same token on a public route: nothing private about it.
    const open = await get('/empty', { token });
    expect(open.headers.get('cache-control')).toBeNull();
    expect(open.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
