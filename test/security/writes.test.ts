import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH } from '../../src/query/parse-json';
import type { ResourceDef } from '../../src/query/resource';
import { WRITABLE } from '../../src/resources/writes';
import { get } from '../support/http';
import { NAUGHTY } from '../support/naughty';
import { sql } from '../support/sql';
import { send } from '../support/write';
import { footprint, otherSampleOf, pace, patchFieldOf, resourceNamed, rowOf, specOf, type WriteOrg, writeOrg } from '../support/write-fixture';

// The security suite for writes. Routes come from /openapi.json, so a write route added later
// (any POST, PUT, PATCH or DELETE under /v1 that is not a read with a body) is covered without
// touching this file: no token, another org's record, hostile values in every body field,
// wrong media types, hostile shapes. 4xx expected, never a 5xx, never SQL text, never another
// org's row, and a refused write writes nothing.

const LEAK = /syntax error|relation "|column "|pg_|ERROR:|at character|SQLSTATE|stack|node_modules/i;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Same pattern as src/write/body.ts: what a numeric field takes as a string.
const DECIMAL = /^-?\d{1,20}(\.\d{1,10})?$/;

interface WriteRoute {
  method: string;
  path: string;
  /** The JSON body's schema, resolved, when the route takes one. */
  body?: { properties?: Record<string, unknown> };
}

async function documentedWrites(): Promise<{ routes: WriteRoute[]; schemas: Record<string, any> }> {
  const doc = (await get('/openapi.json')).body;
  const schemas = doc.components?.schemas ?? {};
  const resolve = (s: any) => (s?.$ref ? schemas[s.$ref.replace('#/components/schemas/', '')] : s);
  const routes: WriteRoute[] = [];
  for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
    // Reads that take a body (POST …/query) are the read suite's (routes.test.ts).
    if (!path.startsWith('/v1/') || path.endsWith('/query')) continue;
    for (const [method, op] of Object.entries(ops)) {
      if (!WRITE_METHODS.has(method.toUpperCase())) continue;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      routes.push({ method: method.toUpperCase(), path, ...(schema ? { body: resolve(schema) } : {}) });
    }
  }
  return { routes, schemas };
}

/** The resource a /v1 path belongs to (`/v1/leads/{id}/convert` → leads). */
const resourceOf = (path: string) => path.split('/')[2];

const problemOk = (res: { status: number; headers: Headers; body: any }, where: string) => {
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  expect(res.headers.get('content-type'), where).toContain('application/problem+json');
  expect(JSON.stringify(res.body), where).not.toMatch(LEAK);
};

describe('security suite over every documented write route', () => {
  let routes: WriteRoute[];
  let schemas: Record<string, any>;
  let a: WriteOrg;
  let b: WriteOrg;
  /** A record of each writable resource in org a, and one in org b. */
  const mine = new Map<string, string>();
  const theirs = new Map<string, string>();

  /** A path with every parameter filled: {id} with `id`, others (`{tagId}`) with org b's own records. */
  const concrete = (path: string, id: string) =>
    path.replace(/\{(\w+)\}/g, (_, p: string) => {
      if (p === 'id') return id;
      const target = `${p.replace(/Id$/, '')}s`;
      return theirs.get(target) ?? crypto.randomUUID();
    });

  /** A body the route accepts as far as we know it: the resource's create, update or batch body. */
  async function validBody(r: WriteRoute, org: WriteOrg): Promise<unknown> {
    if (!r.body) return undefined;
    const name = resourceOf(r.path);
    const resource = WRITABLE.find((x) => x.name === name);
    if (!resource) return {};
    if (r.method === 'PATCH') return { [patchFieldOf(resource)]: otherSampleOf(resource, patchFieldOf(resource), null) };
    if (r.path.endsWith('/batch')) return { records: [await org.body(resource)] };
    if (r.path === `/v1/${name}`) return org.body(resource);
    return {};
  }

  beforeAll(async () => {
    ({ routes, schemas } = await documentedWrites());
    [a, b] = await Promise.all([writeOrg(), writeOrg()]);
    for (const r of WRITABLE) {
      mine.set(r.name, (await a.create(r)).id);
      theirs.set(r.name, (await b.create(r)).id);
    }
    // Jobs addressed by id (DELETE /v1/exports/{id}): one of org a's, finished so that it no longer changes.
    const job = await send('POST', '/v1/exports', { token: a.tokens.admin, body: { resource: 'contacts', format: 'ndjson' } });
    expect(job.status).toBe(202);
    for (let i = 0; i < 200 && (await sql(`select status from export_jobs where id = $1`, [job.body.data.id]))[0].status !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50));
    mine.set('exports', job.body.data.id);
    // Webhooks addressed by id (PATCH, DELETE, POST …/test): one of org a's, on an event nothing here makes.
    const hook = await send('POST', '/v1/webhooks', {
      token: a.tokens.admin,
      body: { url: 'https://example.com/hooks/security', events: ['activity.restored'] },
    });
    expect(hook.status).toBe(201);
    mine.set('webhooks', hook.body.data.id);
    // Workflows addressed by id (PATCH, DELETE, POST …/run): one of org a's.
    const flow = await send('POST', '/v1/workflows', {
      token: a.tokens.admin,
      body: { name: 'Security', steps: [{ key: 'one', action: 'compute', params: { op: 'sum', args: [1] } }] },
    });
    expect(flow.status).toBe(201);
    mine.set('workflows', flow.body.data.id);
    // Saved reports addressed by id (PATCH, DELETE): one of org a's.
    const report = await send('POST', '/v1/reports', {
      token: a.tokens.admin,
      body: { name: 'Security', definition: { resource: 'deals', measures: [{ fn: 'count' }], dimensions: ['status'] } },
    });
    expect(report.status).toBe(201);
    mine.set('reports', report.body.data.id);
  });

  /** The table a write route's records live in: the resource's, or a job's, webhook's, workflow's or saved report's. */
  const JOB_TABLES: Record<string, string> = { exports: 'export_jobs', webhooks: 'webhook_subscriptions', workflows: 'workflows', reports: 'reports' };
  const tableOf = (name: string): Pick<ResourceDef, 'table'> => (JOB_TABLES[name] ? { table: JOB_TABLES[name] } : resourceNamed(name));

  it('finds the write routes: create, update, delete, restore and batch of every writable resource', () => {
    const have = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of WRITABLE) {
      for (const route of [`POST /v1/${r.name}`, `PATCH /v1/${r.name}/{id}`, `DELETE /v1/${r.name}/{id}`, `POST /v1/${r.name}/batch`])
        expect(have).toContain(route);
      if (r.softDelete) expect(have).toContain(`POST /v1/${r.name}/{id}/restore`);
    }
  });

  it('no token → 401 problem+json on every write route, nothing written', async () => {
    const before = await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)));
    for (const r of routes) {
      const path = concrete(r.path, mine.get(resourceOf(r.path)) ?? crypto.randomUUID());
      for (const token of [undefined, 'not.a.token']) {
        const res = await send(r.method, path, { token, body: await validBody(r, a) });
        await pace();
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    expect(await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)))).toEqual(before);
  });

  it("another org's record id → 404 (never 403, never the row), and the record stays as it was", async () => {
    for (const r of routes.filter((x) => x.path.includes('{id}'))) {
      const name = resourceOf(r.path);
      const id = mine.get(name);
      if (!id) throw new Error(`no record of ${name} to aim ${r.method} ${r.path} at`);
      const resource = tableOf(name);
      const row = await rowOf(resource, id);
      const where = `${r.method} ${r.path}`;
      for (const suffix of r.method === 'DELETE' ? ['', '?hard=true'] : ['']) {
        const res = await send(r.method, `${concrete(r.path, id)}${suffix}`, { token: b.tokens.admin, body: await validBody(r, b) });
        // A route whose body we cannot build (one added later) may refuse the body first; it
        // must still never confirm that the record exists.
        const knownBody = r.method === 'PATCH' && r.path === `/v1/${name}/{id}`;
        if (!r.body || knownBody) expect(res.status, where).toBe(404);
        else expect([400, 404, 422], where).toContain(res.status);
        problemOk(res, where);
        expect(JSON.stringify(res.body), where).not.toContain(id);
        for (const v of Object.values(row ?? {}))
          if (typeof v === 'string' && v.length > 6 && !/^\d{4}-/.test(v)) expect(JSON.stringify(res.body), where).not.toContain(v);
      }
      expect(await rowOf(resource, id), where).toEqual(row);
    }
  });

  it('every create body field in the document is a field of the write spec, and the reverse', () => {
    for (const r of WRITABLE) {
      const create = routes.find((x) => x.method === 'POST' && x.path === `/v1/${r.name}`);
      expect(Object.keys(create?.body?.properties ?? {}).sort(), r.name).toEqual([...specOf(r).fields].sort());
    }
    expect(Object.keys(schemas).length).toBeGreaterThan(0);
  });

  describe.each(WRITABLE.map((r) => [r.name, r] as const))('%s: naughty strings in every body field', (_, resource) => {
    it('create: never a 5xx or SQL text; other types refused; text refused or stored exactly as sent, trimmed', async () => {
      const org = await writeOrg();
      const spec = specOf(resource);
      const before = await footprint(resource, org.org.id);
      let accepted = 0;
      let refused = 0;
      for (const field of spec.fields) {
        const f = resource.fields[field];
        for (const value of NAUGHTY) {
          const where = `${resource.name}.${field} = ${JSON.stringify(value).slice(0, 40)}`;
          const res = await send('POST', `/v1/${resource.name}`, { token: org.tokens.admin, body: { ...(await org.body(resource)), [field]: value } });
          await pace();
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400) {
            refused++;
            problemOk(res, where);
            continue;
          }
          expect(res.status, `${where}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(201);
          accepted++;
          const stored = (await rowOf(resource, res.body.data.id))?.[f.column];
          if (f.type === 'text') {
            const trimmed = value.trim();
            const expected = trimmed === '' && f.nullable ? null : trimmed;
            expect(stored, where).toBe(expected);
            if (!f.hidden) expect(res.body.data[field], where).toBe(expected);
          } else if (f.type === 'numeric' && DECIMAL.test(value.trim())) {
            expect(Number(stored), where).toBe(Number(value));
          } else {
            throw new Error(`${where}: a ${f.type} field took a naughty string (answered ${res.status}, stored ${JSON.stringify(stored)})`);
          }
        }
      }
      expect(refused, 'no naughty value was refused').toBeGreaterThan(0);
      if (spec.fields.some((n) => resource.fields[n].type === 'text'))
        expect(accepted, 'no naughty text was stored, so no round trip was checked').toBeGreaterThan(0);
      const after = await footprint(resource, org.org.id);
      expect(after.rows - before.rows, 'rows written = creates accepted').toBe(accepted);
    }, 300_000);

    it('update and batch: the same, on every text field, naming records[i].field when refused', async () => {
      const org = await writeOrg();
      const spec = specOf(resource);
      const texts = spec.fields.filter((n) => resource.fields[n].type === 'text' && !spec.createOnly?.includes(n));
      if (!texts.length) return;
      const { id } = await org.create(resource);
      for (const [i, value] of NAUGHTY.entries()) {
        const field = texts[i % texts.length];
        const f = resource.fields[field];
        const where = `${resource.name}.${field} = ${JSON.stringify(value).slice(0, 40)}`;
        const before = await rowOf(resource, id);
        const patched = await send('PATCH', `/v1/${resource.name}/${id}`, { token: org.tokens.admin, body: { [field]: value } });
        await pace();
        expect(patched.status, where).toBeLessThan(500);
        if (patched.status >= 400) {
          problemOk(patched, where);
          expect(await rowOf(resource, id), where).toEqual(before);
        } else {
          const trimmed = value.trim();
          expect((await rowOf(resource, id))?.[f.column], where).toBe(trimmed === '' && f.nullable ? null : trimmed);
        }
        const batch = await send('POST', `/v1/${resource.name}/batch`, {
          token: org.tokens.admin,
          body: { records: [await org.body(resource), { ...(await org.body(resource)), [field]: value }] },
        });
        expect(batch.status, where).toBeLessThan(500);
        if (batch.status >= 400) problemOk(batch, where);
        else {
          const trimmed = value.trim();
          expect((await rowOf(resource, batch.body.data[1].id))?.[f.column], where).toBe(trimmed === '' && f.nullable ? null : trimmed);
        }
        // A refusal by validation names the record; one by the database does not yet (batch.test.ts, known defects).
        if (batch.status === 400)
          expect(
            batch.body.errors?.map((e: { path: string }) => e.path),
            where,
          ).toContain(`records[1].${field}`);
      }
    }, 300_000);
  });

  it('a body route sent another media type, or none, is a 415 and writes nothing', async () => {
    const before = await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)));
    for (const r of routes.filter((x) => x.body)) {
      const path = concrete(r.path, mine.get(resourceOf(r.path)) ?? crypto.randomUUID());
      const text = JSON.stringify(await validBody(r, a));
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', undefined]) {
        const headers: Record<string, string> = { Authorization: `Bearer ${a.tokens.admin}` };
        if (type) headers['Content-Type'] = type;
        const res = await fetchRaw(r.method, path, headers, text);
        await pace();
        expect(res.status, `${r.method} ${r.path} as ${type}`).toBe(415);
        expect(res.body.code).toBe('unsupported_media_type');
      }
    }
    expect(await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)))).toEqual(before);
  });

  it('bodies that are not an object, are not JSON, or nest too deep are a 400 and write nothing', async () => {
    const before = await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)));
    const deep = (n: number) => `{"records":${'['.repeat(n)}${']'.repeat(n)}}`;
    const deepField = (n: number, field: string) => `{"${field}":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;
    for (const r of routes.filter((x) => x.body)) {
      const path = concrete(r.path, mine.get(resourceOf(r.path)) ?? crypto.randomUUID());
      const field = Object.keys(r.body?.properties ?? {})[0] ?? 'x';
      const bodies = [
        '[]',
        '[{}]',
        '"text"',
        'null',
        '1',
        'true',
        '{',
        '{"a":1,}',
        '',
        deep(MAX_BODY_DEPTH + 1),
        deepField(MAX_BODY_DEPTH + 1, field),
        deep(10_000),
      ];
      for (const body of bodies) {
        const where = `${r.method} ${r.path} ${body.slice(0, 30)}`;
        const res = await send(r.method, path, { token: a.tokens.admin, body, headers: { 'Content-Type': 'application/json' } });
        await pace();
        expect(res.status, `${where}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(400);
        problemOk(res, where);
      }
    }
    expect(await Promise.all(WRITABLE.map((r) => footprint(r, a.org.id)))).toEqual(before);
  });
});

/** A request with exactly these headers (send() adds a JSON Content-Type to any body). */
async function fetchRaw(method: string, path: string, headers: Record<string, string>, body: string) {
  const res = await SELF.fetch(`http://localhost${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: res.status, body: parsed };
}
