import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { receiverPath } from '../support/receiver';
import { sql } from '../support/sql';
import { send } from '../support/write';

// /v1/webhooks (issue 25 §3, decision 0047): admins only, strict bodies, 400s that name the
// field, the secret answered once, nothing visible or reachable from another org.

describe('/v1/webhooks', () => {
  let org: TestOrg;
  let other: TestOrg;
  let admin: string;
  let otherAdmin: string;

  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
    [admin, otherAdmin] = await Promise.all([tokenFor(org.users.admin), tokenFor(other.users.admin)]);
  });

  const create = async (token: string, body: Record<string, unknown>) => send('POST', '/v1/webhooks', { token, body });

  it('creates a subscription and answers its whsec_ secret once; reads, changes and deletes it', async () => {
    const { url } = receiverPath();
    const res = await create(admin, { url, events: ['contact.created', 'contact.updated'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const hook = res.body.data;
    expect(hook).toMatchObject({ url, events: ['contact.created', 'contact.updated'], filter: null, active: true, consecutiveFailures: 0, disabledAt: null });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(res.headers.get('Location')).toBe(`/v1/webhooks/${hook.id}`);

    const one = await get(`/v1/webhooks/${hook.id}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body.data.secret).toBeUndefined();
    expect(JSON.stringify(one.body)).not.toContain(hook.secret);
    const list = await get('/v1/webhooks', { token: admin });
    expect(list.body.data.map((h: { id: string }) => h.id)).toContain(hook.id);
    expect(JSON.stringify(list.body)).not.toContain(hook.secret);

    const patched = await send('PATCH', `/v1/webhooks/${hook.id}`, {
      token: admin,
      body: { events: ['contact.deleted'], filter: { field: 'last_name', operator: 'equals', value: 'X' }, active: false },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.data).toMatchObject({ events: ['contact.deleted'], filter: { field: 'last_name', operator: 'equals', value: 'X' }, active: false });
    const cleared = await send('PATCH', `/v1/webhooks/${hook.id}`, { token: admin, body: { filter: null } });
    expect(cleared.body.data.filter).toBeNull();

    expect((await send('DELETE', `/v1/webhooks/${hook.id}`, { token: admin })).status).toBe(204);
    expect((await get(`/v1/webhooks/${hook.id}`, { token: admin })).status).toBe(404);
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const { url } = receiverPath();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url, events: ['contact.exploded'] }, 'events[0]'],
      [{ url, events: [] }, 'events'],
      [{ events: ['contact.created'] }, 'url'],
      [{ url, events: ['contact.created'], secret: 'whsec_mine' }, 'secret'],
      [{ url: 'not a url', events: ['contact.created'] }, 'url'],
      [{ url: 'ftp://example.com/x', events: ['contact.created'] }, 'url'],
      [{ url: 'http://example.com/hook', events: ['contact.created'] }, 'url'],
      [{ url: 'https://user:pw@example.com/hook', events: ['contact.created'] }, 'url'],
      [{ url, events: ['contact.created'], filter: { field: 'no_such_field', operator: 'equals', value: 1 } }, 'filter'],
      [{ url, events: ['contact.created'], filter: { field: 'last_name', operator: 'explodes', value: 1 } }, 'filter.operator'],
      [{ url, events: ['contact.created'], filter: { and: 'nope' } }, 'filter'],
      [{ url, events: ['contact.created', 'deal.created'], filter: { field: 'last_name', operator: 'equals', value: 'x' } }, 'filter'],
      [{ url, events: ['contact.created'], active: 'yes' }, 'active'],
    ];
    for (const [body, path] of cases) {
      const res = await create(admin, body);
      const where = `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`;
      expect(res.status, where).toBe(400);
      expect(res.headers.get('content-type'), where).toContain('application/problem+json');
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        where,
      ).toContainEqual(expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}`)));
    }
    const hook = (await create(admin, { url, events: ['deal.updated'] })).body.data;
    const bad = await send('PATCH', `/v1/webhooks/${hook.id}`, { token: admin, body: { filter: { field: 'last_name', operator: 'equals', value: 'x' } } });
    // deals have no last_name: the stored events decide the filter's object.
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toMatch(/^filter/);
    const [{ n }] = await sql(`select count(*)::int as n from webhook_subscriptions where org_id = $1`, [org.id]);
    expect(n).toBe(1);
  });

  it('members and managers get 403 on every route', async () => {
    const hook = (await create(admin, { url: receiverPath().url, events: ['lead.created'] })).body.data;
    for (const user of [org.users.member, org.users.manager]) {
      const token = await tokenFor(user);
      const answers = await Promise.all([
        create(token, { url: receiverPath().url, events: ['lead.created'] }),
        get('/v1/webhooks', { token }),
        get(`/v1/webhooks/${hook.id}`, { token }),
        send('PATCH', `/v1/webhooks/${hook.id}`, { token, body: { active: false } }),
        send('DELETE', `/v1/webhooks/${hook.id}`, { token }),
        send('POST', `/v1/webhooks/${hook.id}/test`, { token }),
        get(`/v1/webhooks/${hook.id}/deliveries`, { token }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    }
    expect((await get(`/v1/webhooks/${hook.id}`, { token: admin })).body.data.active).toBe(true);
  });

  it("another org's admin never sees or reaches a subscription: 404s, and not in their list", async () => {
    const hook = (await create(admin, { url: receiverPath().url, events: ['company.created'] })).body.data;
    const answers = await Promise.all([
      get(`/v1/webhooks/${hook.id}`, { token: otherAdmin }),
      send('PATCH', `/v1/webhooks/${hook.id}`, { token: otherAdmin, body: { active: false } }),
      send('DELETE', `/v1/webhooks/${hook.id}`, { token: otherAdmin }),
      send('POST', `/v1/webhooks/${hook.id}/test`, { token: otherAdmin }),
      get(`/v1/webhooks/${hook.id}/deliveries`, { token: otherAdmin }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404]);
    const list = await get('/v1/webhooks', { token: otherAdmin });
    expect(list.body.data).toEqual([]);
    const [row] = await sql(
      `select active, (select count(*)::int from webhook_deliveries where subscription_id = $1) as deliveries from webhook_subscriptions where id = $1`,
      [hook.id],
    );
    expect(row).toEqual({ active: true, deliveries: 0 });
  });

  it('documents every route in /openapi.json', async () => {
    const doc = (await get('/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/webhooks']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/webhooks/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/v1/webhooks/{id}/test'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/webhooks/{id}/deliveries'])).toEqual(['get']);
    expect(doc.components.schemas.WebhookCreate.properties.events.items.enum).toContain('deal.stage_changed');
  });
});
