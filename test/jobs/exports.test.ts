import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import { parseQueryString } from '../../src/query/parse-query-string';
import { consumeExports } from '../../src/resources/exports/consumer';
import { type ExportMessage, loadJob, runExport } from '../../src/resources/exports/job';
import { PART_BYTES } from '../../src/resources/exports/output';
import { insertExportJob } from '../../src/resources/exports/routes';
import { CATALOG } from '../../src/resources/registry';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { demoAdmin, demoOrg } from '../support/seeded';
import { grantsOf, withDb } from '../support/sharing';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Export jobs (issue 25): POST /v1/exports queues a job; the crm-exports consumer writes its rows
// through gzip into an R2 multipart upload with a checkpoint per part, resuming from the last one.
// Run here against the test database, R2 and Queues as workerd simulates them.

const appEnv = env as unknown as AppEnv;

async function gunzip(bytes: ArrayBuffer): Promise<string> {
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
}

/** Runs the consumer on one message as the queue would, and says how it settled. */
async function consume(message: ExportMessage, attempts = 1) {
  const batch = createMessageBatch<ExportMessage>('crm-exports', [{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body: message }]);
  const ctx = createExecutionContext();
  await consumeExports(batch, appEnv);
  return getQueueResult(batch, ctx);
}

/** The job once the queue's own delivery (producer → consumer) has run it. */
async function settled(id: string, token: string) {
  for (let i = 0; i < 200; i++) {
    const res = await get(`/v1/exports/${id}`, { token });
    if (!['queued', 'running'].includes(res.body.data.status)) return res.body.data;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`export ${id} did not finish`);
}

/** Every row of `path` through /v1 pages (Postgres, no tier), as the API renders them. */
async function allRows(path: string, token: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const page = await get(`${path}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token, headers: { 'Cache-Control': 'no-cache' } });
    expect(page.status).toBe(200);
    out.push(...page.body.data);
    cursor = page.body.page.nextCursor;
  } while (cursor);
  return out;
}

async function create(token: string, body: Record<string, unknown>) {
  const res = await send('POST', '/v1/exports', { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.data as { id: string; status: string };
}

describe('export jobs', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    member = await tokenFor(org.users.member);
    await createContacts(org.id, [
      { first_name: '=HYPERLINK("http://x")', last_name: 'Formula', email: 'f1@export.test' },
      { first_name: 'Quote "me", please', last_name: '+plus', email: 'f2@export.test' },
      { first_name: 'Line\nbreak', last_name: '-minus', email: 'f3@export.test' },
      { first_name: '@at', last_name: 'Plain', email: 'f4@export.test' },
    ]);
  });

  it('CSV: RFC 4180 quoting, formula cells neutralised, header from the projection; status, download headers', async () => {
    const job = await create(admin, {
      resource: 'contacts',
      query: 'email=like.*export.test&order=email.asc',
      fields: 'email,first_name,last_name',
      format: 'csv',
      gzip: false,
    });
    expect(job.status).toBe('queued');
    // Delivered by the queue to the Worker's consumer, end to end.
    expect(await settled(job.id, admin)).toMatchObject({ status: 'succeeded', rows: 4, download: `/v1/exports/${job.id}/download` });
    // A redelivery of a finished job does nothing and is acknowledged.
    expect((await consume({ jobId: job.id, orgId: org.id })).explicitAcks).toHaveLength(1);
    const file = await get(`/v1/exports/${job.id}/download`, { token: admin });
    expect(file.status).toBe(200);
    expect(file.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('Content-Disposition')).toBe(`attachment; filename="contacts-${job.id}.csv"`);
    expect(file.body).toBe(
      [
        'email,first_name,last_name',
        `f1@export.test,"'=HYPERLINK(""http://x"")",Formula`,
        `f2@export.test,"Quote ""me"", please","'+plus"`,
        `f3@export.test,"Line\nbreak","'-minus"`,
        `f4@export.test,"'@at",Plain`,
        '',
      ].join('\r\n'),
    );
  });

  it('another user of the org, and any other org, see no such export; a member exports only what they may read', async () => {
    const job = await create(admin, { resource: 'contacts', format: 'ndjson' });
    expect((await get(`/v1/exports/${job.id}`, { token: member })).status).toBe(404);
    const other = await createOrg();
    expect((await get(`/v1/exports/${job.id}`, { token: await tokenFor(other.users.admin) })).status).toBe(404);
    expect((await get(`/v1/exports/${job.id}/download`, { token: await tokenFor(other.users.admin) })).status).toBe(404);
    // Cancelled before it ran (or while): never downloadable.
    const cancelled = await send('DELETE', `/v1/exports/${job.id}`, { token: admin });
    expect(cancelled.status).toBe(200);
    if (cancelled.body.data.status === 'cancelled') expect((await get(`/v1/exports/${job.id}/download`, { token: admin })).status).toBe(409);
    // Private contacts: the member owns none, so their export (as of its creation) is empty.
    await sql(`insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', false)`, [org.id]);
    await sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [org.id],
    );
    const mine = await create(member, { resource: 'contacts', format: 'ndjson', gzip: true });
    const done = { body: { data: await settled(mine.id, member) } };
    const readable = await get('/v1/contacts?limit=0', { token: member, headers: { Prefer: 'count=exact', 'Cache-Control': 'no-cache' } });
    const all = await get('/v1/contacts?limit=0', { token: admin, headers: { Prefer: 'count=exact', 'Cache-Control': 'no-cache' } });
    expect(readable.body.count.value).toBeLessThan(all.body.count.value);
    expect(done.body.data).toMatchObject({ status: 'succeeded', rows: readable.body.count.value });
    await sql(`delete from sharing_settings where org_id = $1`, [org.id]);
    await sql(`update org_generations set sharing_version = sharing_version + 1 where org_id = $1`, [org.id]);
  });

  it('GET /v1/{resource}/export answers a small set directly, under the caller’s access; a large one is a 422', async () => {
    const small = await get('/v1/contacts/export?email=like.*export.test&order=email.asc&select=email,last_name', { token: admin });
    expect(small.status).toBe(200);
    expect(small.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(small.headers.get('Content-Disposition')).toBe('attachment; filename="contacts.csv"');
    expect(small.body.split('\r\n')).toEqual([
      'email,last_name',
      'f1@export.test,Formula',
      `f2@export.test,"'+plus"`,
      `f3@export.test,"'-minus"`,
      'f4@export.test,Plain',
      '',
    ]);
    const ndjson = await get('/v1/contacts/export?format=ndjson&email=eq.f4@export.test&select=email', { token: admin });
    expect(ndjson.headers.get('Content-Type')).toBe('application/x-ndjson');
    expect(ndjson.body).toEqual({ email: 'f4@export.test' });
    const demo = await demoAdmin();
    const large = await get('/v1/contacts/export', { token: demo.token });
    expect(large.status).toBe(422);
    expect(large.body.detail).toContain('POST /v1/exports');
    expect((await get('/v1/contacts/export?format=xml', { token: admin })).status).toBe(400);
    expect((await get('/v1/nope/export', { token: admin })).status).toBe(404);
  });

  it('the cron deletes the file of an export past expires_at and marks it expired', async () => {
    const job = await create(admin, { resource: 'contacts', query: 'email=eq.f1@export.test', format: 'json', gzip: false });
    expect(await settled(job.id, admin)).toMatchObject({ status: 'succeeded', rows: 1 });
    const file = await get(`/v1/exports/${job.id}/download`, { token: admin });
    expect(file.body).toHaveLength(1);
    const [{ key }] = await sql<{ key: string }>(`update export_jobs set expires_at = now() - interval '1 day' where id = $1 returning object_key as key`, [
      job.id,
    ]);
    expect(await appEnv.EXPORTS.head(key)).not.toBeNull();
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *', scheduledTime: Date.now() }), appEnv);
    expect((await get(`/v1/exports/${job.id}`, { token: admin })).body.data.status).toBe('expired');
    expect(await appEnv.EXPORTS.head(key)).toBeNull();
    expect((await get(`/v1/exports/${job.id}/download`, { token: admin })).status).toBe(409);
  });

  it('bad requests are 400s naming the field, and create nothing', async () => {
    const before = (await sql(`select count(*)::int as n from export_jobs where org_id = $1`, [org.id]))[0].n;
    for (const [body, path] of [
      [{ resource: 'nope' }, 'resource'],
      [{ resource: 'contacts', fields: 'id,nope' }, 'fields'],
      [{ resource: 'contacts', query: 'cursor=abc' }, 'query.cursor'],
      [{ resource: 'contacts', format: 'xml' }, 'format'],
      [{ resource: 'contacts', extra: 1 }, 'extra'],
    ] as const) {
      const res = await send('POST', '/v1/exports', { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.body)).toContain(path);
    }
    expect((await sql(`select count(*)::int as n from export_jobs where org_id = $1`, [org.id]))[0].n).toBe(before);
  });

  it('100k rows: the gunzipped file is the same query’s rows byte for byte; stopped at every checkpoint, it resumes with no duplicate and no gap', async () => {
    const demo = { ...(await demoAdmin()), userId: (await demoOrg()).userId };
    const grantsAdmin = await grantsOf(demo.orgId, demo.userId);
    const [bound] = await sql<{ at: string }>(
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from contacts
       where org_id = $1 and deleted_at is null order by created_at, id offset 100000 limit 1`,
      [demo.orgId],
    );
    const query = `created_at=lt.${bound.at}&order=created_at.asc`;
    // The default projection: wide rows, so that the gzip output spans several 5 MiB parts (R2's minimum).
    const fields = '*';
    const expected = (await allRows(`/v1/contacts?select=${fields}&${query}`, demo.token)).map((r) => `${JSON.stringify(r)}\n`).join('');
    expect(expected.split('\n').length - 1).toBe(100_000);

    // Recorded without a queue message, so that this test alone runs it, a few parts at a time.
    const demoUser = { orgId: demo.orgId, userId: demo.userId, role: 'admin' as const };
    const request = { ...parseQueryString(new URLSearchParams(`select=${fields}&${query}`), undefined), limit: 0 };
    const job = { id: await withDb((db) => insertExportJob(db, demoUser, CATALOG.contacts, request, grantsAdmin, 'ndjson', true)) };
    const grantsOfJob = await grantsOf(demo.orgId, demo.userId);
    expect(grantsOfJob.fingerprint).toBe(grantsAdmin.fingerprint);
    const message = { jobId: job.id, orgId: demo.orgId };
    const db = createDb(appEnv, () => {});
    try {
      // One checkpoint per run: every part boundary is a stop and a resume from the carry.
      let peak = 0;
      const options = { maxCheckpoints: 1, onPeak: (bytes: number) => (peak = Math.max(peak, bytes)) };
      let runs = 0;
      for (let outcome = 'more'; outcome === 'more'; runs++) outcome = await runExport(appEnv, db, message, options);
      expect(runs).toBeGreaterThan(1);
      const stored = await loadJob(db, demo.orgId, job.id);
      expect(stored).toMatchObject({ status: 'succeeded', rows: 100_000 });
      expect(stored?.parts.length).toBeGreaterThanOrEqual(2);
      // Memory is flat: never more than about a part and a page held, however long the file.
      expect(peak).toBeLessThan(PART_BYTES + 2 * 1024 * 1024);
      expect(stored?.bytes).toBeGreaterThan(2 * PART_BYTES);
    } finally {
      await db.close();
    }
    const file = await SELF_download(job.id, demo.token);
    expect(file.headers.get('Content-Type')).toBe('application/gzip');
    expect(await gunzip(await file.arrayBuffer())).toBe(expected);
  }, 180_000);
});

async function SELF_download(id: string, token: string): Promise<Response> {
  const ctx = createExecutionContext();
  return worker.fetch(new Request(`http://localhost/v1/exports/${id}/download`, { headers: { Authorization: `Bearer ${token}` } }), appEnv, ctx);
}
