import { beforeAll, describe, expect, it } from 'vitest';
import { AuditPage } from '../../src/resources/audit/schema';
import { type AuditRow, type AuditRowInput, ensureAuditMonths, insertAuditRows, newestFirst } from '../support/audit';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor, warmCaller } from '../support/http';
import { sql } from '../support/sql';

// GET /v1/audit against rows written straight into audit_log: two orgs, three months (so the
// window crosses partitions), ties on `at` down to the microsecond, and a system change (no
// actor). Every expectation is the fixture filtered and sorted in JS.
const MONTHS = ['2026-09-01', '2026-10-01', '2026-11-01'];

/** `at` as the API renders it: UTC, six decimals. */
function rendered(at: string): string {
  const sub = /\.\d{3}(\d{0,3})/.exec(at)?.[1] ?? '';
  return new Date(at).toISOString().replace(/Z$/, `${sub.padEnd(3, '0')}Z`);
}

const asEntry = (r: AuditRow) => ({
  id: r.id,
  at: rendered(r.at),
  actor_id: r.actorId,
  action: r.action,
  object_type: r.objectType,
  object_id: r.objectId,
  changes: r.changes ?? null,
  request_id: r.requestId ?? null,
});

describe('GET /v1/audit', () => {
  let a: TestOrg;
  let b: TestOrg;
  let rowsA: AuditRow[];
  let rowsB: AuditRow[];
  // Contacts that exist (inserted below): anyone but an admin reads the trail of a record they may read (0041).
  const c1 = crypto.randomUUID();
  const c2 = crypto.randomUUID();
  const d1 = crypto.randomUUID();
  const l1 = crypto.randomUUID();
  const tokens: Record<'admin' | 'manager' | 'member' | 'adminB', string> = { admin: '', manager: '', member: '', adminB: '' };

  beforeAll(async () => {
    [a, b] = await Promise.all([createOrg(), createOrg()]);
    await sql(`insert into contacts (id, org_id, first_name) values ($1, $3, 'Anna'), ($2, $3, 'Ben')`, [c1, c2, a.id]);
    await ensureAuditMonths(MONTHS);
    const { admin, manager, member } = a.users;
    const row = (at: string, actor: string | null, action: string, objectType: string, objectId: string, changes?: AuditRowInput['changes']) => ({
      at,
      actorId: actor,
      action,
      objectType,
      objectId,
      changes,
      requestId: `req-${at}`,
    });
    rowsA = await insertAuditRows(a.id, [
      row('2026-09-10T08:00:00.000001Z', admin.id, 'create', 'contacts', c1, { first_name: { to: 'Anna' } }),
      row('2026-09-20T09:00:00.000000Z', manager.id, 'update', 'contacts', c1, { email: { from: 'a@x.test', to: 'b@x.test' } }),
      row('2026-09-30T23:59:59.999999Z', member.id, 'create', 'deals', d1, { amount: { to: '1200.00' } }),
      row('2026-10-01T00:00:00.000000Z', admin.id, 'update', 'contacts', c2, { phone: { from: null, to: '+44 1' } }),
      row('2026-10-05T12:00:00.123456Z', member.id, 'update', 'contacts', c1, { last_name: { from: 'Berg', to: 'Berger' } }),
      // The same microsecond as the row before: id breaks the tie.
      row('2026-10-05T12:00:00.123456Z', manager.id, 'update', 'deals', d1, { stage_id: { from: 's1', to: 's2' } }),
      // A system change, one microsecond later.
      row('2026-10-05T12:00:00.123457Z', null, 'update', 'contacts', c2, { status: { from: 'active', to: 'inactive' } }),
      row('2026-10-31T23:59:59.999999Z', admin.id, 'delete', 'contacts', c2, null),
      row('2026-11-01T00:00:00.000000Z', admin.id, 'restore', 'contacts', c2, null),
      row('2026-11-15T10:00:00.000000Z', manager.id, 'convert', 'leads', l1, { status: { from: 'qualified', to: 'converted' } }),
      row('2026-11-20T10:00:00.5+02:00', member.id, 'update', 'contacts', c1, { email: { from: 'b@x.test', to: 'c@x.test' } }),
      row('2026-11-30T12:00:00.000000Z', admin.id, 'hard_delete', 'deals', d1, null),
      // A run of updates in pairs that share a timestamp, so pages end inside ties.
      ...Array.from({ length: 20 }, (_, i) =>
        row(`2026-10-15T${String(10 + Math.floor(i / 2)).padStart(2, '0')}:00:00.000000Z`, [admin.id, manager.id, member.id][i % 3], 'update', 'contacts', c2, {
          points: { from: i, to: i + 1 },
        }),
      ),
    ]);
    // Another org: the same record ids and times, so only the org predicate tells them apart.
    rowsB = await insertAuditRows(b.id, [
      row('2026-09-20T09:00:00.000000Z', b.users.admin.id, 'update', 'contacts', c1, { email: { from: 'x', to: 'y' } }),
      row('2026-10-05T12:00:00.123456Z', b.users.member.id, 'update', 'contacts', c1, null),
      row('2026-10-15T10:00:00.000000Z', b.users.manager.id, 'update', 'contacts', c2, null),
      row('2026-11-15T10:00:00.000000Z', b.users.admin.id, 'delete', 'deals', d1, null),
    ]);
    [tokens.admin, tokens.manager, tokens.member, tokens.adminB] = await Promise.all([
      tokenFor(admin),
      tokenFor(manager),
      tokenFor(member),
      tokenFor(b.users.admin),
    ]);
  });

  const list = (qs: string, who: keyof typeof tokens = 'admin') => get(`/v1/audit?${qs}`, { token: tokens[who] });
  const expected = (rows: AuditRow[], keep: (r: AuditRow) => boolean = () => true) => rows.filter(keep).sort(newestFirst).map(asEntry);
  const at = (r: AuditRow) => Date.parse(r.at);

  it("lists the org's whole trail newest first, every field rendered, in one statement", async () => {
    await warmCaller(tokens.admin);
    const res = await list('limit=200');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(expected(rowsA));
    expect(res.body.page).toEqual({ limit: 200, nextCursor: null, hasMore: false });
    expect(res.body.meta).toMatchObject({ requestId: res.headers.get('x-request-id'), tier: 'db', queries: 1 });
    expect(res.headers.get('content-range')).toBe(`0-${rowsA.length - 1}/*`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    // The tie at 12:00:00.123456: the later id first, after the row one microsecond later.
    const tie = res.body.data.filter((e: { at: string }) => e.at.startsWith('2026-10-05T12:00:00.12345'));
    expect(tie.map((e: { id: string }) => e.id)).toEqual([rowsA[6].id, rowsA[5].id, rowsA[4].id]);
    expect(tie[0].actor_id).toBeNull();
    // The row written with an offset reads back in UTC.
    expect(res.body.data.map((e: { at: string }) => e.at)).toContain('2026-11-20T08:00:00.500000Z');
  });

  it('answers what /openapi.json documents: AuditPage, and no undocumented key', async () => {
    const doc = (await get('/openapi.json')).body;
    const op = doc.paths['/v1/audit'].get;
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/AuditPage');
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(['object_type', 'object_id', 'actor', 'action', 'from', 'to', 'limit', 'cursor']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    const entry = doc.components.schemas.AuditEntry;
    const res = await list('limit=200');
    expect(AuditPage.strict().safeParse(res.body).error).toBeUndefined();
    for (const row of res.body.data) expect(Object.keys(row)).toEqual(Object.keys(entry.properties));
  });

  it('defaults to 50 rows a page', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.page.limit).toBe(50);
    expect(res.body.data).toHaveLength(rowsA.length);
  });

  const filters: Array<[string, (r: AuditRow) => boolean]> = [
    [`object_type=contacts&object_id=${c1}`, (r) => r.objectType === 'contacts' && r.objectId === c1],
    [`object_type=deals`, (r) => r.objectType === 'deals'],
    [`object_id=${c2}`, (r) => r.objectId === c2],
    ['action=hard_delete', (r) => r.action === 'hard_delete'],
    ['action=update', (r) => r.action === 'update'],
    ['action=merge', () => false],
    [`object_type=leads&action=convert`, (r) => r.objectType === 'leads' && r.action === 'convert'],
    // The window is half-open: the row at `from` is in, the row at `to` is out.
    ['from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z', (r) => at(r) >= Date.parse('2026-10-01T00:00:00Z') && at(r) < Date.parse('2026-11-01T00:00:00Z')],
    [
      'from=2026-10-01T02:00:00%2B02:00&to=2026-11-01T00:00:00Z',
      (r) => at(r) >= Date.parse('2026-10-01T00:00:00Z') && at(r) < Date.parse('2026-11-01T00:00:00Z'),
    ],
    ['from=2026-11-01T00:00:00Z', (r) => at(r) >= Date.parse('2026-11-01T00:00:00Z')],
    ['to=2026-09-30T23:59:59.999999Z', (r) => r.at < '2026-09-30T23:59:59.999999Z'],
    ['from=2026-10-05T12:00:00.123457Z&to=2026-10-05T12:00:00.123458Z', (r) => r.at === '2026-10-05T12:00:00.123457Z'],
    ['from=2030-01-01T00:00:00Z', () => false],
  ];
  for (const [qs, keep] of filters) {
    it(`filters: ${qs}`, async () => {
      const res = await list(`${qs}&limit=200`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toEqual(expected(rowsA, keep));
    });
  }

  it('filters by actor, each user and another org’s user', async () => {
    for (const user of [a.users.admin, a.users.manager, a.users.member, b.users.admin]) {
      const res = await list(`actor=${user.id}&limit=200`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(expected(rowsA, (r) => r.actorId === user.id));
    }
  });

  /** Follows nextCursor to the end; every page is one statement (and, for anyone but an admin, the record's access check: its get and the sharing version, pipelined). */
  async function walk(qs: string, who: keyof typeof tokens = 'admin') {
    await warmCaller(tokens[who]);
    const seen: Array<{ id: string }> = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await list(`${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, who);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.meta.queries).toBe(who === 'admin' || who === 'adminB' ? 1 : 3);
      seen.push(...res.body.data);
      expect(res.body.page.hasMore).toBe(res.body.page.nextCursor !== null);
      cursor = res.body.page.nextCursor;
      if (!cursor) return seen;
      expect(res.body.data).toHaveLength(res.body.page.limit);
    }
    throw new Error('the walk did not end');
  }

  for (const limit of [1, 2, 3, 7]) {
    it(`keyset paging with limit=${limit} walks every row once, in order`, async () => {
      expect(await walk(`limit=${limit}`)).toEqual(expected(rowsA));
    });
  }

  it('keyset paging under filters, and as a member on one record', async () => {
    const window = 'from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z';
    const inWindow = (r: AuditRow) => at(r) >= Date.parse('2026-10-01T00:00:00Z') && at(r) < Date.parse('2026-11-01T00:00:00Z');
    expect(await walk(`${window}&limit=4`)).toEqual(expected(rowsA, inWindow));
    expect(await walk(`object_type=contacts&object_id=${c2}&action=update&limit=3`, 'member')).toEqual(
      expected(rowsA, (r) => r.objectId === c2 && r.objectType === 'contacts' && r.action === 'update'),
    );
  });

  it('a cursor is bound to its filters and its caller', async () => {
    const first = await list('limit=2');
    const cursor = encodeURIComponent(first.body.page.nextCursor);
    for (const [qs, who] of [
      [`limit=2&action=update&cursor=${cursor}`, 'admin'],
      [`limit=2&from=2026-10-01T00:00:00Z&cursor=${cursor}`, 'admin'],
      [`limit=2&object_type=contacts&object_id=${c1}&cursor=${cursor}`, 'manager'],
      [`limit=2&cursor=${cursor}`, 'adminB'],
    ] as const) {
      const res = await list(qs, who);
      expect(res.status, `${who} ${qs}`).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_cursor', errors: [{ path: 'cursor' }] });
    }
    // A different page size is the same trail.
    const res = await list(`limit=5&cursor=${cursor}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(expected(rowsA).slice(2, 7));
  });

  it("another org's rows never appear, whatever the filter", async () => {
    const idsB = new Set(rowsB.map((r) => r.id));
    for (const qs of ['limit=200', `object_id=${c1}&object_type=contacts`, 'from=2026-09-01T00:00:00Z&to=2026-12-01T00:00:00Z', `actor=${b.users.admin.id}`]) {
      const res = await list(qs);
      expect(res.status).toBe(200);
      for (const e of res.body.data) expect(idsB.has(e.id), qs).toBe(false);
    }
    const own = await list('limit=200', 'adminB');
    expect(own.body.data).toEqual(expected(rowsB));
    const sameRecord = await list(`object_type=contacts&object_id=${c1}`, 'adminB');
    expect(sameRecord.body.data).toEqual(expected(rowsB, (r) => r.objectId === c1));
  });

  it("a member reads one record's trail, not the org's", async () => {
    for (const qs of ['', 'limit=10', 'object_type=contacts', `object_id=${c1}`, `actor=${a.users.member.id}`, 'from=2026-10-01T00:00:00Z']) {
      const res = await list(qs, 'member');
      expect(res.status, qs).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('forbidden');
    }
    const res = await list(`object_type=contacts&object_id=${c1}&limit=200`, 'member');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(expected(rowsA, (r) => r.objectType === 'contacts' && r.objectId === c1));
    const narrowed = await list(`object_type=contacts&object_id=${c1}&actor=${a.users.manager.id}&from=2026-09-01T00:00:00Z`, 'member');
    expect(narrowed.body.data).toEqual(expected(rowsA, (r) => r.objectId === c1 && r.objectType === 'contacts' && r.actorId === a.users.manager.id));
  });

  it("the org's whole trail is the admins': a manager reads one record's", async () => {
    expect((await list('limit=200', 'manager')).status).toBe(403);
    const res = await list(`object_type=contacts&object_id=${c1}&limit=200`, 'manager');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(expected(rowsA, (r) => r.objectType === 'contacts' && r.objectId === c1));
  });

  it('the trail of a record the caller may not read is a 404, as the record is', async () => {
    expect((await list(`object_type=deals&object_id=${d1}`, 'member')).status).toBe(404);
    expect((await list(`object_type=contacts&object_id=${crypto.randomUUID()}`, 'manager')).status).toBe(404);
  });

  const bad: Array<[string, string]> = [
    ['object_type=nope', 'object_type'],
    ['object_type=audit_log', 'object_type'],
    ['object_type=Contacts', 'object_type'],
    ['object_type=constructor', 'object_type'],
    ['object_id=123', 'object_id'],
    ['object_id=', 'object_id'],
    ["actor=1' or '1'='1", 'actor'],
    ['action=DROP%20TABLE', 'action'],
    [`action=${'x'.repeat(40)}`, 'action'],
    ['from=2026-10-01', 'from'],
    ['from=2026-10-01T00:00:00', 'from'],
    ['from=yesterday', 'from'],
    ['from=0000-01-01T00:00:00Z', 'from'],
    ['from=2026-02-30T00:00:00Z', 'from'],
    ['to=2026-10-01T00:00:00%2B16:00', 'to'],
    ['to=2026-10-01T00:00:00.1234567Z', 'to'],
    ['from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z', 'to'],
    ['from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z', 'to'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['object_type=contacts&object_type=deals', 'object_type'],
  ];
  for (const [qs, path] of bad) {
    it(`400 naming ${path}: ${qs}`, async () => {
      const res = await list(qs);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('invalid_query');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  }

  it('an unknown parameter is refused, not ignored (a typo must not widen the trail)', async () => {
    const res = await list(`objectid=${c1}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_query');
    expect(JSON.stringify(res.body.errors)).toContain('objectid');
  });

  it('a malformed or tampered cursor is a 400 invalid_cursor', async () => {
    const first = await list('limit=1');
    const good: string = first.body.page.nextCursor;
    const tampered = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    for (const cursor of ['garbage', tampered, 'a.b']) {
      const res = await list(`cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_cursor', errors: [{ path: 'cursor' }] });
    }
  });

  it('no token is a 401, before any parameter is looked at', async () => {
    for (const qs of ['', 'object_type=nope']) {
      const res = await get(`/v1/audit?${qs}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
  });
});
