import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVITY_TYPES } from '../../src/core/enums';
import { createOrg, createPipeline, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { privateTo } from '../support/sharing';
import { sql } from '../support/sql';
import { send } from '../support/write';

// The contact timeline (issue 26 §2): activities of every type and the contact's deal changes
// from the audit trail, merged newest first, keyset-paged, one statement a page, under access.
// The expected timeline is built here from the activity rows inserted and the audit rows the
// deal writes left.

interface Expected {
  kind: 'activity' | 'deal_change';
  at: string;
  id: string;
  owner: string | null;
}

/** Makes `types` private to their owners (no hierarchy) for the org. */
/** The API's order: at desc, then kind desc, then id desc (as text). */
const order = (a: Expected, b: Expected) =>
  a.at < b.at ? 1 : a.at > b.at ? -1 : a.kind < b.kind ? 1 : a.kind > b.kind ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

describe('contact timeline', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  let contact: string;
  let otherContact: string;
  let stages: Record<string, { id: string; name: string }>;
  const deals = new Map<string, { name: string; owner: string; deleted: boolean; contact: string }>();

  /** Every item of the contact's timeline as the rows say, for a caller who sees `seen` of them. */
  async function expected(seen: (owner: string | null) => boolean): Promise<Expected[]> {
    const acts = await sql<{ id: string; at: string; owner: string | null }>(
      `select id::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, owner_id::text as owner from activities where org_id = $1 and contact_id = $2`,
      [org.id, contact],
    );
    const trail = await sql<{ id: string; at: string; object_id: string; action: string; changes: Record<string, unknown> }>(
      `select id::text, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, object_id::text, action, changes from audit_log where org_id = $1 and object_type = 'deals'`,
      [org.id],
    );
    const changes = trail
      .filter((a) => {
        const d = deals.get(a.object_id);
        if (!d || d.deleted || d.contact !== contact) return false;
        return a.action === 'create' || (a.action === 'update' && ('stage_id' in a.changes || 'status' in a.changes));
      })
      .map((a) => ({ kind: 'deal_change' as const, at: a.at, id: a.id, owner: deals.get(a.object_id)?.owner ?? null }));
    return [...acts.map((a) => ({ kind: 'activity' as const, ...a })), ...changes].filter((x) => seen(x.owner)).sort(order);
  }

  /** Every page of the timeline, by cursor; each page one statement (and the sharing check). */
  async function walk(token: string, limit: number) {
    // Once before, uncounted: a caller's first request may load their user row or grants.
    await get(`/v1/contacts/${contact}/timeline?limit=1`, { token });
    const items: Array<Record<string, any>> = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/contacts/${contact}/timeline?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(statementsOf(res)).toBeLessThanOrEqual(2);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      items.push(...res.body.data);
      cursor = res.body.page.nextCursor;
      expect(res.body.page.hasMore).toBe(!!cursor);
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    member = await tokenFor(org.users.member);
    [{ id: contact }, { id: otherContact }] = await sql(
      `insert into contacts (org_id, first_name, owner_id) values ($1, 'Tim', $2), ($1, 'Other', $2) returning id`,
      [org.id, org.users.member.id],
    );
    const names = ['Lead', 'Proposal', 'Won', 'Lost'] as const;
    const made = await createPipeline(org.id, ['Lead', 'Proposal', ['Won', true, false], ['Lost', false, true]]);
    const pipeline = made.id;
    stages = {};
    for (const [i, name] of names.entries()) stages[name] = { id: made.stages[i], name };
    // Activities of every type, some sharing one instant (ties are broken by kind, then id).
    const owners = [org.users.admin.id, org.users.member.id];
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 16; i++) {
      const at = new Date(base + Math.floor(i / 3) * 60_000 + (i % 3 === 2 ? 123 : 0)).toISOString();
      await sql(`insert into activities (org_id, type, subject, status, contact_id, owner_id, created_at, due_at) values ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        org.id,
        ACTIVITY_TYPES[i % ACTIVITY_TYPES.length],
        `Subject ${i}`,
        i % 4 === 0 ? 'completed' : 'pending',
        contact,
        owners[i % 2],
        at,
        i % 5 === 0 ? null : at,
      ]);
    }
    await sql(`insert into activities (org_id, type, subject, contact_id) values ($1, 'note', 'Someone else', $2)`, [org.id, otherContact]);
    // Deals written through the API, so the trail is the one writes leave: created, moved, changed.
    const write = async (method: string, path: string, body: unknown) => {
      const res = await send(method, path, { token: admin, body });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res.body?.data;
    };
    for (const [i, owner] of owners.entries()) {
      const d = await write('POST', '/v1/deals', { name: `Deal ${i}`, pipeline_id: pipeline, stage_id: stages.Lead.id, contact_id: contact, owner_id: owner });
      deals.set(d.id, { name: d.name, owner, deleted: false, contact });
      await write('PATCH', `/v1/deals/${d.id}`, { stage_id: stages.Proposal.id });
      await write('PATCH', `/v1/deals/${d.id}`, { value: '1000.00' }); // neither stage nor status: not on the timeline
      await write('PATCH', `/v1/deals/${d.id}`, { stage_id: i ? stages.Lost.id : stages.Won.id });
    }
    const gone = await write('POST', '/v1/deals', { name: 'Trashed', pipeline_id: pipeline, stage_id: stages.Lead.id, contact_id: contact });
    deals.set(gone.id, { name: gone.name, owner: org.users.admin.id, deleted: true, contact });
    await write('DELETE', `/v1/deals/${gone.id}`, undefined);
    const elsewhere = await write('POST', '/v1/deals', { name: 'Elsewhere', pipeline_id: pipeline, stage_id: stages.Lead.id, contact_id: otherContact });
    deals.set(elsewhere.id, { name: elsewhere.name, owner: org.users.admin.id, deleted: false, contact: otherContact });
  });

  it('merges activities and deal changes newest first, keyset-paged, one statement a page', async () => {
    const want = await expected(() => true);
    expect(want.filter((x) => x.kind === 'deal_change')).toHaveLength(6);
    const first = await get(`/v1/contacts/${contact}/timeline?limit=5`, { token: admin });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    for (const limit of [5, 7, 100]) {
      const got = await walk(admin, limit);
      expect(
        got.map(({ kind, at, id }) => ({ kind, at, id })),
        `limit=${limit}`,
      ).toEqual(want.map(({ kind, at, id }) => ({ kind, at, id })));
    }
    expect(new Set((await walk(admin, 100)).filter((x) => x.kind === 'activity').map((x) => x.type))).toEqual(new Set(ACTIVITY_TYPES));
  });

  it('items carry their summary: an activity’s fields, a deal change’s deal, stage and status', async () => {
    const items = await walk(admin, 100);
    const activity = items.find((x) => x.kind === 'activity' && x.subject === 'Subject 1');
    expect(activity).toMatchObject({ type: ACTIVITY_TYPES[1], status: 'pending', priority: 'medium', owner_id: org.users.member.id, deal_id: null });
    const [deal0] = [...deals.entries()].find(([, d]) => d.name === 'Deal 0') ?? [];
    const changes = items.filter((x) => x.kind === 'deal_change' && x.deal.id === deal0).reverse();
    expect(changes.map((x) => [x.action, x.stage, x.status])).toEqual([
      ['created', { from: null, to: stages.Lead }, { from: null, to: 'open' }],
      ['updated', { from: stages.Lead, to: stages.Proposal }, null],
      ['updated', { from: stages.Proposal, to: stages.Won }, { from: 'open', to: 'won' }],
    ]);
    expect(changes[0]).toMatchObject({ deal: { id: deal0, name: 'Deal 0' }, actor_id: org.users.admin.id });
  });

  it('a member sees only the activities and deals they may read; a contact they may not read is a 404', async () => {
    const restore = await privateTo(org.id, ['activity', 'deal']);
    try {
      const mine = (owner: string | null) => owner === org.users.member.id;
      const want = await expected(mine);
      expect(want.length).toBeGreaterThan(0);
      const got = await walk(member, 4);
      expect(got.map(({ kind, id }) => ({ kind, id }))).toEqual(want.map(({ kind, id }) => ({ kind, id })));
    } finally {
      await restore();
    }
    const [{ id: adminsContact }] = await sql(`insert into contacts (org_id, first_name, owner_id) values ($1, 'Private', $2) returning id`, [
      org.id,
      org.users.admin.id,
    ]);
    const closed = await privateTo(org.id, ['contact']);
    try {
      const res = await get(`/v1/contacts/${adminsContact}/timeline`, { token: member });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await get(`/v1/contacts/${adminsContact}/timeline`, { token: admin })).status).toBe(200);
    } finally {
      await closed();
    }
  });

  it('bad input is a 400 and another org’s or a missing contact a 404, never a 500', async () => {
    const stranger = await tokenFor((await createOrg()).users.admin);
    expect((await get(`/v1/contacts/${contact}/timeline`, { token: stranger })).status).toBe(404);
    expect((await get(`/v1/contacts/${crypto.randomUUID()}/timeline`, { token: admin })).status).toBe(404);
    const first = await get(`/v1/contacts/${contact}/timeline?limit=2`, { token: admin });
    const cursor = first.body.page.nextCursor as string;
    for (const path of [
      `/v1/contacts/not-a-uuid/timeline`,
      `/v1/contacts/${contact}/timeline?limit=0`,
      `/v1/contacts/${contact}/timeline?limit=101`,
      `/v1/contacts/${contact}/timeline?order=at.asc`,
      `/v1/contacts/${contact}/timeline?cursor=forged`,
      `/v1/contacts/${contact}/timeline?cursor=${encodeURIComponent(`${cursor.slice(0, -2)}xx`)}`,
      // A cursor of another contact's timeline, or another user's.
      `/v1/contacts/${otherContact}/timeline?cursor=${encodeURIComponent(cursor)}`,
    ]) {
      const res = await get(path, { token: admin });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
    expect((await get(`/v1/contacts/${contact}/timeline?cursor=${encodeURIComponent(cursor)}`, { token: member })).status).toBe(400);
  });
});
