import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import type { DocRoute, FuzzContext } from '../support/fuzz-params';
import { describeRequest, send, violation } from '../support/fuzz-property';
import { type FuzzRequest, fuzzRequest } from '../support/fuzz-requests';
import { get, tokenFor } from '../support/http';

// The security suite's second half: generative fuzzing of every route in /openapi.json (see
// docs/testing.md). Each run sends one generated request through the Worker's fetch to the real
// Postgres; the property is that no answer is a 5xx, every error is problem+json with a code of
// the closed list, and no body carries SQL text or a stack. `npm test` runs a bounded, seeded
// sample; `FUZZ_RUNS=… FUZZ_SEED=… npm run fuzz` runs more (vitest.fuzz.config.ts passes them
// in as bindings: workerd does not see the shell's environment).
const vars = env as unknown as Record<string, string | undefined>;
const RUNS = Number(vars.FUZZ_RUNS || 800);
const SEED = Number(vars.FUZZ_SEED || 21);
/** FUZZ_SURVEY=1: send every run and list each failure instead of stopping at (and shrinking) the first. */
const SURVEY = vars.FUZZ_SURVEY === '1';

type Operations = Record<string, unknown>;

async function documentedRoutes(): Promise<DocRoute[]> {
  const doc = (await get('/openapi.json')).body;
  return Object.entries<Operations>(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
}

/** Authorization values that must all be a 401 ('' sends no header). */
async function badAuthorizations(org: TestOrg, other: TestOrg): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: org.users.member.id, org: org.id, role: 'member', exp: now + 3600 };
  const signed = (payload: Record<string, unknown>) => sign(payload, env.JWT_SECRET, 'HS256');
  const good = await tokenFor(org.users.member);
  const [h, p] = good.split('.');
  return [
    '',
    'Bearer',
    'Bearer ',
    'Bearer x.y.z',
    'Bearer a.b',
    'Basic Zm9vOmJhcg==',
    `bearer ${good}`,
    `Bearer  ${good}  `,
    `Bearer ${good}x`,
    `Bearer ${h}.${p}.`,
    `Bearer ${h}.${btoa(JSON.stringify({ ...claims, role: 'admin' })).replace(/=+$/, '')}.${good.split('.')[2]}`,
    `Bearer ${btoa('{"alg":"none","typ":"JWT"}').replace(/=+$/, '')}.${p}.`,
    `Bearer ${await tokenFor(org.users.member, { ttl: -60 })}`,
    `Bearer ${await tokenFor(org.users.member, { secret: 'not-the-secret' })}`,
    `Bearer ${await signed({ ...claims, org: 'x' })}`,
    `Bearer ${await signed({ ...claims, sub: 42 })}`,
    `Bearer ${await signed({ ...claims, role: 'owner' })}`,
    `Bearer ${await signed({ ...claims, role: '__proto__' })}`,
    `Bearer ${await signed({ ...claims, exp: 1e300 })}`,
    `Bearer ${await signed({ ...claims, exp: String(now + 3600) })}`,
    `Bearer ${await signed({ sub: claims.sub, org: claims.org, exp: claims.exp })}`,
    // Well-formed claims of an org that does not exist, and of a user of another org.
    `Bearer ${await signed({ ...claims, org: crypto.randomUUID() })}`,
    `Bearer ${await signed({ ...claims, sub: other.users.admin.id })}`,
    `Bearer ${await signed({ ...claims, org: '00000000-0000-0000-0000-000000000000', sub: '00000000-0000-0000-0000-000000000000' })}`,
    `Bearer ${'a'.repeat(5000)}.${'b'.repeat(5000)}.${'c'.repeat(43)}`,
  ];
}

/** Real cursors of this org (several orders and searches), for the generators to replay and tamper with. */
async function realCursors(token: string): Promise<string[]> {
  const queries = [
    '/v1/contacts?limit=1',
    '/v1/contacts?limit=1&order=last_name.asc',
    '/v1/contacts?limit=1&order=birthday.desc.nullsfirst',
    '/v1/contacts?limit=1&q=fuzz',
    '/v1/contacts?limit=1&last_name=ilike.*z*&order=last_name',
    '/v1/users?limit=1',
  ];
  const cursors: string[] = [];
  for (const q of queries) {
    const res = await get(q, { token });
    if (res.body?.page?.nextCursor) cursors.push(res.body.page.nextCursor);
    else console.log(`[fuzz] no cursor from ${q}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return cursors;
}

describe('fuzzing every documented route', () => {
  let ctx: FuzzContext;

  beforeAll(async () => {
    const [org, other] = await Promise.all([createOrg(), createOrg()]);
    const ids = await createContacts(org.id, [
      { first_name: 'Fuzz', last_name: 'Zeta', relationships: [{ points: 10, created_at: '2025-01-01T00:00:00Z' }] },
      { first_name: 'Anna', last_name: 'Fuzzer', birthday: null, address: null },
      { first_name: null, last_name: 'Smith', gender: null, email: null, phone: null },
      { first_name: 'Ω≈ç√', last_name: '田中', birthday: '1970-01-01' },
      { first_name: 'Zed', last_name: 'Zulu', deleted_at: '2025-06-01T00:00:00Z' },
    ]);
    const tokens = await Promise.all([tokenFor(org.users.member), tokenFor(org.users.manager), tokenFor(org.users.admin)]);
    ctx = {
      routes: await documentedRoutes(),
      ids: [...ids, org.users.admin.id, org.id],
      cursors: await realCursors(tokens[0]),
      tokens,
      badAuth: await badAuthorizations(org, other),
    };
  });

  it('reads the routes, ids and cursors it draws from', () => {
    expect(ctx.routes.length).toBeGreaterThanOrEqual(20);
    expect(ctx.cursors.length).toBeGreaterThanOrEqual(3);
  });

  it(
    'no generated request gets a 5xx, an error outside problem+json and the closed code list, or SQL text',
    async () => {
      let sent = 0;
      const started = Date.now();
      const report = () =>
        `[fuzz] seed=${SEED} runs=${RUNS} requests=${sent} in ${((Date.now() - started) / 1000).toFixed(1)} s (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npm run fuzz)`;
      const statuses = new Map<number, number>();
      const check = async (req: FuzzRequest) => {
        sent++;
        const res = await send(req);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const broken = violation(req, res);
        return broken ? `${broken}: ${describeRequest(req)} → ${res.status} ${res.type} ${res.text.slice(0, 300)}` : null;
      };
      try {
        if (SURVEY) {
          // The Worker runs in this isolate: its error log says what each 500 was.
          const logged = new Map<string, string>();
          const consoleError = console.error;
          console.error = (...args: unknown[]) => {
            const line = String(args[0]);
            const m = /"requestId":"([^"]+)".*?"error":"((?:[^"\\]|\\.)*)"/.exec(line);
            if (m) logged.set(m[1], m[2].replace(/: \\".*$/, '').slice(0, 120));
            else consoleError(...args);
          };
          const classes = new Map<string, { count: number; example: string }>();
          try {
            for (const req of fc.sample(fuzzRequest(ctx), { seed: SEED, numRuns: RUNS })) {
              const failure = await check(req).catch((err) => `fetch threw ${String(err)}: ${describeRequest(req)}`);
              if (!failure) continue;
              const id = /"requestId":"([^"]+)"/.exec(failure)?.[1];
              const key = `${failure.split(':')[0]} | ${req.route.replace(/^\/v1\/[^/]+/, '/v1/{resource}')} | ${(id && logged.get(id)) ?? ''}`;
              const seen = classes.get(key);
              if (!seen) classes.set(key, { count: 1, example: failure });
              else {
                seen.count++;
                if (failure.length < seen.example.length) seen.example = failure;
              }
            }
          } finally {
            console.error = consoleError;
          }
          for (const [key, { count, example }] of classes) console.log(`[fuzz] ${count} × ${key}\n    ${example}`);
          expect([...classes.keys()], 'classes of requests that broke the property').toEqual([]);
          return;
        }
        await fc.assert(
          fc.asyncProperty(fuzzRequest(ctx), async (req) => {
            const failure = await check(req);
            if (failure) throw new Error(failure);
          }),
          { seed: SEED, numRuns: RUNS },
        );
      } finally {
        console.log(`${report()}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
      }
    },
    Math.max(120_000, RUNS * 1_000),
  );

  it('the generators reach every route and every method', () => {
    const sample = fc.sample(fuzzRequest(ctx), { seed: SEED, numRuns: 5000 });
    expect(new Set(sample.map((r) => r.route))).toEqual(new Set(ctx.routes.map((r) => r.path)));
    const methods = new Set(sample.map((r) => r.method));
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(methods, m).toContain(m);
  });
});
