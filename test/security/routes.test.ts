import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { NAUGHTY } from '../support/naughty';

// The shared security suite. Routes come from the OpenAPI document, so a route added later is
// covered without touching this file: no token, another org's token, injection strings,
// oversized input. 4xx expected, never a 5xx, never SQL error text, never another org's row.
const PUBLIC = new Set(['/healthz', '/empty', '/openapi.json', '/docs']);
const LEAK = /syntax error|relation "|column "|pg_|ERROR:|at character|SQLSTATE|stack|node_modules/i;

interface RouteInfo {
  method: string;
  path: string;
  params: string[];
  /** A small body the route accepts (writes: one valid field), or none when it takes no body. */
  body?: Record<string, unknown>;
}

/** What this suite reads of an OpenAPI operation. */
type Schema = { $ref?: string; type?: string | string[]; enum?: unknown[]; format?: string; pattern?: string; properties?: Record<string, Schema> };
type Operations = Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: Schema }> } }>;

/**
 * A body the route accepts, so a refusal is about the caller, not the body: a list query's
 * `{}`, or one plain field of a write body (a text field, else a number or a flag).
 */
function smallBody(doc: { components: { schemas: Record<string, Schema> } }, schema: Schema | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop() as string] : schema;
  const props = Object.entries(resolved.properties ?? {});
  if (props.some(([name]) => name === 'records')) return undefined;
  const plain = (t: string) => props.find(([, p]) => [p.type].flat().includes(t) && !p.enum && !p.format && !p.pattern);
  const text = plain('string');
  if (text) return { [text[0]]: 'x' };
  const num = plain('integer') ?? plain('number');
  if (num) return { [num[0]]: 1 };
  const flag = plain('boolean');
  return flag ? { [flag[0]]: true } : {};
}

async function documentedRoutes(): Promise<RouteInfo[]> {
  const doc = (await get('/openapi.json')).body;
  const out: RouteInfo[] = [];
  for (const [path, ops] of Object.entries<Operations>(doc.paths)) {
    if (PUBLIC.has(path)) continue;
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content['application/json']?.schema;
      out.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        body: smallBody(doc, schema),
      });
    }
  }
  return out;
}

describe('security suite over every documented route', () => {
  let routes: RouteInfo[];
  let a: TestOrg;
  let b: TestOrg;
  let aIds: string[];

  const concrete = (path: string, id: string) => path.replace(/\{(id|[a-z]+Id)\}/g, id).replace('{table}', 'contacts');

  async function send(method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await SELF.fetch(`http://localhost${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
  }

  beforeAll(async () => {
    routes = await documentedRoutes();
    [a, b] = await Promise.all([createOrg(), createOrg()]);
    aIds = await createContacts(a.id, [
      { first_name: 'Secret', last_name: 'Alpha' },
      { first_name: 'Hidden', last_name: 'Beta' },
    ]);
    await createContacts(b.id, [{ first_name: 'Public', last_name: 'Gamma' }]);
  });

  it('finds the routes to test', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/v1/appusers/', '/v1/contacts', '/v1/contacts/{id}', '/rest/v1/{table}']));
  });

  it('no token → 401 problem+json on every route', async () => {
    for (const r of routes) {
      const res = await send(r.method, concrete(r.path, aIds[0]), { body: r.body });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(res.type, r.path).toContain('application/problem+json');
    }
  });

  it("another org's token never sees this org's records", async () => {
    const token = await tokenFor(b.users.admin);
    for (const r of routes) {
      const res = await send(r.method, concrete(r.path, aIds[0]), { token, body: r.body });
      expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500);
      for (const id of aIds) expect(res.text, `${r.method} ${r.path}`).not.toContain(id);
      expect(res.text).not.toContain('Secret');
      // Internal routes take the internal token, never a user's; any other route about one
      // record of org a: it does not exist for org b.
      if (r.path.startsWith('/internal/')) expect(res.status, `${r.method} ${r.path}`).toBe(401);
      else if (r.path.includes('{id}')) expect(res.status, `${r.method} ${r.path}`).toBe(404);
    }
  });

  it('injection strings in every parameter and as filter values are only data', async () => {
    const token = await tokenFor(a.users.member);
    // The full matrix on the three mounts of the compiler; round-robin over params on the rest.
    const full = new Set(['/v1/contacts', '/api/v1/appusers/', '/rest/v1/{table}']);
    // Each mount's refusals must be checked for leaks too, not only its answers.
    const refused = new Map<string, number>();
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const base = concrete(r.path, aIds[0]);
      const names = [...new Set([...r.params, 'first_name', 'select', 'order', 'or', 'cursor', 'q'])];
      const cases: Array<[string, string]> = [];
      NAUGHTY.forEach((value, i) => {
        const variants = [value, `eq.${value}`, `ilike.*${value}*`];
        if (full.has(r.path)) for (const name of names) for (const v of variants) cases.push([name, v]);
        else cases.push([names[i % names.length], variants[i % variants.length]]);
      });
      for (const [i, [name, v]] of cases.entries()) {
        // Counts build their own statements from the same filters and search: rotate them in.
        const headers = { Prefer: ['count=exact', 'count=planned', 'count=estimated', ''][i % 4] };
        const res = await send('GET', `${base}?${new URLSearchParams({ [name]: v })}`, { token, headers });
        const where = `${r.path} ${name}=${v.slice(0, 40)} ${headers.Prefer}`;
        expect(res.status, where).toBeLessThan(500);
        if (res.status >= 400) {
          refused.set(r.path, (refused.get(r.path) ?? 0) + 1);
          expect(res.type, where).toContain('application/problem+json');
          expect(res.text, where).not.toMatch(LEAK);
        }
      }
    }
    for (const path of full) expect(refused.get(path), `${path}: no naughty value was refused`).toBeGreaterThan(0);
  }, 300_000);

  it('injection strings in JSON bodies are only data', async () => {
    const token = await tokenFor(a.users.member);
    // The query bodies; write bodies get their own matrix in writes.test.ts.
    const posts = routes.filter((x) => x.method === 'POST' && x.path.endsWith('/query'));
    expect(posts.map((r) => r.path)).toContain('/v1/contacts/query');
    let refused = 0;
    for (const r of posts) {
      for (const value of NAUGHTY) {
        const bodies = [
          { where: { field: 'first_name', operator: 'contains', value } },
          { where: { field: value, operator: 'equals', value: 'x' } },
          { orderBy: [{ field: value }] },
          { select: value },
          { q: value.slice(0, 200) },
          value,
        ];
        for (const body of bodies) {
          const res = await send('POST', concrete(r.path, aIds[0]), { token, body });
          expect(res.status, `${r.path} ${JSON.stringify(body).slice(0, 60)}`).toBeLessThan(500);
          if (res.status >= 400) {
            refused++;
            expect(res.text).not.toMatch(LEAK);
          }
        }
      }
    }
    expect(refused, 'no body was refused, so no refusal was checked for leaks').toBeGreaterThan(0);
  }, 300_000);

  it('oversized input is a 4xx', async () => {
    const token = await tokenFor(a.users.member);
    const long = 'x'.repeat(20_000);
    const huge = 'y'.repeat(1_100_000);
    for (const r of routes) {
      const path = concrete(r.path, aIds[0]);
      const attempts =
        r.body !== undefined || r.path.endsWith('/batch')
          ? [
              await send(r.method, path, {
                token,
                body: { q: long, where: { or: Array.from({ length: 5000 }, () => ({ field: 'first_name', operator: 'equals', value: 'x' })) } },
              }),
              await send(r.method, path, { token, body: { q: huge } }),
            ]
          : [await send(r.method, `${path}?first_name=eq.${long}`, { token })];
      for (const res of attempts) {
        expect(res.status, `${r.method} ${r.path}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500);
        expect(res.type).toContain('application/problem+json');
      }
    }
  });
});
