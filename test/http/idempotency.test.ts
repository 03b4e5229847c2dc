import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { createUserMemo } from '../../src/cache/isolate';
import { AppError } from '../../src/core/errors';
import { createDb } from '../../src/db/client';
import { requireAuth } from '../../src/http/auth';
import { jsonBody } from '../../src/http/body';
import { idempotency, purgeExpiredIdempotencyKeys } from '../../src/http/idempotency';
import worker from '../../src/index';
import { createOrg, type TestOrg, type TestUser } from '../support/factories';
import { tokenFor } from '../support/http';
import { sql, withClient } from '../support/sql';

// The middleware on the real app (its error handler renders what is stored) with two test
// routes whose handler inserts a tag, so every run of the handler leaves a row to count.
// Callers are remembered up front, so the statements a request sends are the middleware's and
// the handler's alone.
const users = createUserMemo();
/** How many of the next requests asking for it throw a plain Error (a 500). */
let failures = 0;

interface TagBody {
  name: string;
  /** Holds the request in the handler for 0.3 s (pg_sleep), before the insert. */
  sleep?: boolean;
  fail?: boolean;
}

function testApp() {
  const app = createApp();
  const handler = async (c: any) => {
    const { db } = c.var.services;
    // Statements sent before the handler ran: the middleware's.
    const before = db.stats.queries;
    const body: TagBody = await c.req.json();
    if (body.sleep) await db.query('select pg_sleep(0.3)');
    if (body.fail && failures > 0) {
      failures--;
      throw new Error('the handler failed');
    }
    if (typeof body.name !== 'string') throw new AppError('invalid_body', 'The request did not pass validation.');
    if (body.name === 'teapot') throw new AppError('forbidden', 'No teapots.');
    const { rows } = await db.query('insert into tags (org_id, name) values ($1, $2) returning id', [c.var.auth.orgId, body.name]);
    const id = rows[0].id;
    return c.json({ data: { id, name: body.name }, statementsBefore: before }, 201, { Location: `/v1/tags/${id}`, ETag: `"${id}"`, 'X-Generation': '7' });
  };
  // As routes mount it: body checks first, so their refusals are never stored as a key's answer.
  app.post('/__idempotent', requireAuth({ users }), jsonBody(), idempotency(), handler);
  // The middleware reading the body first (the handler's c.req.json() is served from what it read).
  app.post('/__idempotent/raw', requireAuth({ users }), idempotency(), handler);
  app.get('/__idempotent', requireAuth({ users }), idempotency(), (c) => c.json({ ok: true }));
  return app;
}
const app = testApp();

interface Sent {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function send(
  user: TestUser,
  opts: { key?: string; body?: unknown; path?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { Authorization: `Bearer ${await tokenFor(user)}`, 'Content-Type': 'application/json', ...opts.headers };
  if (opts.key !== undefined) headers['Idempotency-Key'] = opts.key;
  const method = opts.method ?? 'POST';
  const init: RequestInit = { method, headers };
  if (method !== 'GET') init.body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? { name: 'x' });
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost${opts.path ?? '/__idempotent'}`, init), env as never, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: res.status, headers: res.headers, body, text };
}

const tagNamed = async (orgId: string, name: string) => (await sql('select id from tags where org_id = $1 and name = $2', [orgId, name])).length;
const keysOf = (orgId: string) =>
  sql<{ key: string; status: number | null; locked_at: Date | null; user_id: string }>(
    'select key, status, locked_at, user_id from idempotency_keys where org_id = $1',
    [orgId],
  );
const newKey = () => `key-${crypto.randomUUID()}`;
const newName = () => `tag-${crypto.randomUUID().slice(0, 8)}`;

describe('Idempotency-Key', () => {
  let org: TestOrg;
  let other: TestOrg;
  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
    for (const o of [org, other]) for (const u of Object.values(o.users)) users.set(u.id, { orgId: o.id, role: u.role, active: true });
  });

  it('without the header does nothing: no statement, no key stored', async () => {
    const name = newName();
    const res = await send(org.users.member, { body: { name } });
    expect(res.status).toBe(201);
    expect(res.body.statementsBefore).toBe(0);
    expect(res.headers.get('server-timing')).toMatch(/db;dur=[\d.]+;desc="1 queries"/);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await keysOf(org.id)).toEqual([]);
  });

  it('replays the first answer to the same request: same status, body and headers, the handler ran once', async () => {
    const key = newKey();
    const name = newName();
    const first = await send(org.users.member, { key, body: { name } });
    expect(first.status).toBe(201);
    // The claim, the handler's insert, then the stored answer.
    expect(first.body.statementsBefore).toBe(1);
    expect(first.headers.get('server-timing')).toMatch(/desc="3 queries"/);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    for (let i = 0; i < 2; i++) {
      const again = await send(org.users.member, { key, body: { name } });
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      for (const h of ['content-type', 'location', 'etag', 'x-generation']) expect(again.headers.get(h), h).toBe(first.headers.get(h));
      // The request's own headers stay its own.
      expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
      expect(again.headers.get('cache-control')).toBe('private, no-store');
      expect(again.headers.get('server-timing')).toMatch(/desc="1 queries"/);
    }
    expect(await tagNamed(org.id, name)).toBe(1);
    const [row] = (await keysOf(org.id)).filter((k) => k.key === key);
    expect(row).toMatchObject({ status: 201, locked_at: null, user_id: org.users.member.id });
  });

  it('keeps the raw body readable for the handler when it reads it first', async () => {
    const key = newKey();
    const name = newName();
    const first = await send(org.users.member, { key, body: { name }, path: '/__idempotent/raw' });
    expect(first.status).toBe(201);
    expect(first.body.data.name).toBe(name);
    const again = await send(org.users.member, { key, body: { name }, path: '/__idempotent/raw' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    expect(await tagNamed(org.id, name)).toBe(1);
  });

  it('stores and replays a 4xx problem as the answer, like any other', async () => {
    const key = newKey();
    const first = await send(org.users.member, { key, body: { name: 'teapot' } });
    expect(first.status).toBe(403);
    expect(first.headers.get('content-type')).toBe('application/problem+json');
    const again = await send(org.users.member, { key, body: { name: 'teapot' } });
    expect(again.status).toBe(403);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a 400 (the request did not pass validation) is not stored: the corrected request may use the key', async () => {
    const key = newKey();
    const name = newName();
    const refused = await send(org.users.member, { key, body: { nom: name } });
    expect(refused.status).toBe(400);
    expect((await keysOf(org.id)).find((k) => k.key === key)).toBeUndefined();
    const fixed = await send(org.users.member, { key, body: { name } });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect(await tagNamed(org.id, name)).toBe(1);
  });

  it('the same key with another body, path or user is a 422 that tells nothing of the stored answer', async () => {
    const key = newKey();
    const name = newName();
    expect((await send(org.users.member, { key, body: { name } })).status).toBe(201);
    const others = [
      await send(org.users.member, { key, body: { name: newName() } }),
      await send(org.users.member, { key, body: `{"name": "${name}"}` }), // the same JSON, other bytes
      await send(org.users.member, { key, body: { name }, path: '/__idempotent/raw' }),
      await send(org.users.member, { key, body: { name }, path: '/__idempotent?x=1' }),
      await send(org.users.manager, { key, body: { name } }),
    ];
    for (const res of others) {
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('idempotency_key_reused');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.text).not.toContain(name);
      expect(res.body.data).toBeUndefined();
    }
    expect(await tagNamed(org.id, name)).toBe(1);
  });

  it('of two concurrent first requests, exactly one runs the handler; the other is a 409', async () => {
    const key = newKey();
    const name = newName();
    const both = await Promise.all([0, 1].map(() => send(org.users.member, { key, body: { name, sleep: true } })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.body.code).toBe('idempotency_in_progress');
    expect(await tagNamed(org.id, name)).toBe(1);
    // Once the first is done, a retry gets its answer.
    const retry = await send(org.users.member, { key, body: { name, sleep: true } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(both.find((r) => r.status === 201)!.text);
  });

  it('a first request whose claim commits while ours waits on it: ours is a 409', async () => {
    const key = newKey();
    const name = newName();
    await withClient(async (client) => {
      // Another request's claim, inserted but not yet committed: ours waits on the key, and
      // finds it taken once that commits, after its own statement began.
      await client.query('begin');
      await client.query(
        `insert into idempotency_keys (org_id, key, user_id, method, path, body_hash, locked_at, expires_at)
         values ($1, $2, $3, 'POST', '/__idempotent', 'h', now(), now() + interval '1 day')`,
        [org.id, key, org.users.member.id],
      );
      const ours = send(org.users.member, { key, body: { name } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.query('commit');
      const res = await ours;
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('idempotency_in_progress');
    });
    expect(await tagNamed(org.id, name)).toBe(0);
  });

  it('a claim still held is a 409; one held past 60 s was abandoned and is taken over', async () => {
    const key = newKey();
    const name = newName();
    expect((await send(org.users.member, { key, body: { name } })).status).toBe(201);
    // As if the first request were still running: claimed, no answer yet.
    await sql(`update idempotency_keys set status = null, response = null, locked_at = now() where org_id = $1 and key = $2`, [org.id, key]);
    const held = await send(org.users.member, { key, body: { name } });
    expect(held.status).toBe(409);
    expect(held.body.code).toBe('idempotency_in_progress');
    // As if its Worker died two minutes ago, before the tag was written.
    await sql(`update idempotency_keys set locked_at = now() - interval '2 minutes' where org_id = $1 and key = $2`, [org.id, key]);
    await sql('delete from tags where org_id = $1 and name = $2', [org.id, name]);
    // Another request does not take an abandoned claim over: it is still the other request's key.
    expect((await send(org.users.member, { key, body: { name: newName() } })).status).toBe(422);
    const retried = await send(org.users.member, { key, body: { name } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(await tagNamed(org.id, name)).toBe(1);
    expect((await keysOf(org.id)).find((k) => k.key === key)).toMatchObject({ status: 201, locked_at: null });
  });

  it('a 5xx releases the key, so a retry runs the handler', async () => {
    const key = newKey();
    const name = newName();
    failures = 1;
    const failed = await send(org.users.member, { key, body: { name, fail: true } });
    expect(failed.status).toBe(500);
    expect((await keysOf(org.id)).find((k) => k.key === key)).toBeUndefined();
    const retried = await send(org.users.member, { key, body: { name, fail: true } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(await tagNamed(org.id, name)).toBe(1);
  });

  it('an expired key is a new key: any request claims it', async () => {
    const key = newKey();
    const first = newName();
    expect((await send(org.users.member, { key, body: { name: first } })).status).toBe(201);
    await sql(`update idempotency_keys set expires_at = now() - interval '1 second' where org_id = $1 and key = $2`, [org.id, key]);
    const second = newName();
    const res = await send(org.users.manager, { key, body: { name: second } });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.body.data.name).toBe(second);
    expect(await tagNamed(org.id, second)).toBe(1);
    const [row] = await sql("select user_id, expires_at > now() + interval '23 hours' as fresh from idempotency_keys where org_id = $1 and key = $2", [
      org.id,
      key,
    ]);
    expect(row).toEqual({ user_id: org.users.manager.id, fresh: true });
  });

  it('keys are per org: another org with the same key runs its own request', async () => {
    const key = newKey();
    const name = newName();
    expect((await send(org.users.member, { key, body: { name } })).status).toBe(201);
    const theirs = await send(other.users.member, { key, body: { name } });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(await tagNamed(other.id, name)).toBe(1);
    expect((await keysOf(other.id)).map((k) => k.key)).toEqual([key]);
  });

  it('a malformed key is a 400 naming the header, before any statement', async () => {
    for (const key of ['', 'x'.repeat(256), 'del\x7f', 'tab\there']) {
      const res = await send(org.users.admin, { key, body: { name: newName() } });
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.body.code).toBe('invalid_query');
      expect(res.body.errors[0].path).toBe('Idempotency-Key');
      expect(res.headers.get('server-timing')).not.toMatch(/db;/);
    }
    expect((await keysOf(org.id)).filter((k) => k.user_id === org.users.admin.id)).toEqual([]);
    // 255 printable characters, spaces included, are a key.
    const longest = `${' k'.repeat(127)}~`;
    expect((await send(org.users.admin, { key: longest, body: { name: newName() } })).status).toBe(201);
  });

  it('a body refused before the middleware (415) claims nothing; GET passes through', async () => {
    const key = newKey();
    const refused = await send(org.users.admin, { key, body: { name: newName() }, headers: { 'Content-Type': 'text/plain' } });
    expect(refused.status).toBe(415);
    const read = await send(org.users.admin, { key, method: 'GET' });
    expect(read.status).toBe(200);
    expect((await keysOf(org.id)).find((k) => k.key === key)).toBeUndefined();
  });
});

describe('purging expired keys', () => {
  const insertKeys = (orgId: string, keys: string[], expires: string) =>
    sql(
      `insert into idempotency_keys (org_id, key, method, path, body_hash, status, response, expires_at)
       select $1, k, 'POST', '/x', 'h', 201, '{"body": "{}", "headers": {}}', now() + $3::interval from unnest($2::text[]) k`,
      [orgId, keys, expires],
    );

  it('the cron trigger deletes expired keys and keeps the rest', async () => {
    const org = await createOrg();
    await insertKeys(org.id, ['old-1', 'old-2', 'old-3'], '-1 minute');
    await insertKeys(org.id, ['new-1', 'new-2'], '1 hour');
    // The handler awaits its work (the connection closed included), so nothing is left to wait for.
    await worker.scheduled!(createScheduledController({ cron: '*/15 * * * *', scheduledTime: Date.now() }), env as never);
    expect((await keysOf(org.id)).map((k) => k.key).sort()).toEqual(['new-1', 'new-2']);
  });

  it('deletes in bounded batches until a batch comes back short', async () => {
    const org = await createOrg();
    await insertKeys(
      org.id,
      Array.from({ length: 5 }, (_, i) => `old-${i}`),
      '-1 minute',
    );
    const db = createDb(env as never, () => {});
    try {
      expect(await purgeExpiredIdempotencyKeys(db, 2)).toBeGreaterThanOrEqual(5);
      // Three statements at least: 2, 2 and the short one.
      expect(db.stats.queries).toBeGreaterThanOrEqual(3);
    } finally {
      await db.close();
    }
    expect(await keysOf(org.id)).toEqual([]);
  });
});
