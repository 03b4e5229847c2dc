import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';

// Authenticated answers (successes and a route's own errors) carry Cache-Control: private,
// no-store until the edge tiers state their own policy. Refusals and public routes:
// headers.unit.test.ts.
describe('headers of authenticated answers', () => {
  let token: string;
  beforeAll(async () => {
    const org: TestOrg = await createOrg();
    token = await tokenFor(org.users.member);
  });

  it('successes and errors of the routes behind requireAuth are private and nosniff', async () => {
    const cases: Array<[string, number]> = [
      ['/v1/contacts', 200],
      ['/api/v1/appusers/', 200],
      ['/rest/v1/contacts?select=id', 200],
      ['/healthz?deep=1', 200],
      ['/v1/contacts?order=nope.asc', 400],
      [`/v1/contacts/${crypto.randomUUID()}`, 404],
    ];
    for (const [path, status] of cases) {
      const res = await get(path, { token });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('cache-control'), path).toBe('private, no-store');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    // The same token on a public route: nothing private about it.
    const open = await get('/empty', { token });
    expect(open.headers.get('cache-control')).toBeNull();
    expect(open.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
