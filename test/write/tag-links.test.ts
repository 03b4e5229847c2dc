import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// PUT / DELETE /v1/{resource}/{id}/tags/{tagId}: tags on records, both sides checked in the
// caller's org, audited on the record, and found by the read side's tag filter.

let org: TestOrg;
let admin: string;

async function post(token: string, path: string, body: unknown) {
  const res = await send('POST', path, { token, body });
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body.data;
}

const linkPath = (resource: string, id: string, tagId: string) => `/v1/${resource}/${id}/tags/${tagId}`;

beforeAll(async () => {
  org = await createOrg();
  admin = await tokenFor(org.users.admin);
  const p = await post(admin, '/v1/pipelines', { name: 'Sales', is_default: true });
  await post(admin, '/v1/stages', { pipeline_id: p.id, name: 'New', position: 1 });
});

const RECORDS: Record<string, Record<string, unknown>> = {
  contacts: { first_name: 'Tagged', last_name: 'Contact' },
  companies: { name: 'Tagged Co' },
  leads: { first_name: 'Tagged', last_name: 'Lead' },
  deals: { name: 'Tagged deal' },
};

describe.each(Object.keys(RECORDS))('%s', (resource) => {
  it('PUT links (200, the tag), again changes nothing (200), the tag filter finds it; DELETE unlinks (204), again 404', async () => {
    const record = await post(admin, `/v1/${resource}`, RECORDS[resource]);
    const name = `VIP ${resource} ${crypto.randomUUID().slice(0, 6)}`;
    const tag = await post(admin, '/v1/tags', { name, color: 'gold' });
    const put = await send('PUT', linkPath(resource, record.id, tag.id), { token: admin });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.data).toMatchObject({ id: tag.id, name, color: 'gold' });
    const generation = Number(put.headers.get('X-Generation'));
    expect(generation).toBeGreaterThan(0);
    const again = await send('PUT', linkPath(resource, record.id, tag.id), { token: admin });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(put.body);

    // The read side's filter (tag names, any case) and the embed.
    const lower = encodeURIComponent(`cs.{"${name.toLowerCase()}"}`);
    const found = await get(`/v1/${resource}?tags=${lower}&select=id,tags(name)`, { token: admin });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.data).toEqual([{ id: record.id, tags: [{ name }] }]);

    const trail = await sql('select action, object_type, changes from audit_log where org_id = $1 and object_id = $2 order by at, id', [org.id, record.id]);
    // Tagged once: the second PUT wrote no audit row.
    expect(trail.map((a) => a.action)).toEqual(['create', 'tag']);
    expect(trail[1]).toMatchObject({ object_type: resource, changes: { tags: { added: tag.id } } });

    const del = await send('DELETE', linkPath(resource, record.id, tag.id), { token: admin });
    expect(del.status).toBe(204);
    expect(Number(del.headers.get('X-Generation'))).toBeGreaterThan(generation);
    expect((await get(`/v1/${resource}?tags=${lower}`, { token: admin })).body.data).toEqual([]);
    const twice = await send('DELETE', linkPath(resource, record.id, tag.id), { token: admin });
    expect(twice.status).toBe(404);
    const actions = await sql('select action, changes from audit_log where org_id = $1 and object_id = $2 order by at, id', [org.id, record.id]);
    expect(actions.map((a) => a.action)).toEqual(['create', 'tag', 'untag']);
    expect(actions[2].changes).toEqual({ tags: { removed: tag.id } });
  });
});

describe('both sides in the org, live', () => {
  it("another org's tag or record is a 404, and nothing is linked", async () => {
    const stranger = await createOrg();
    const theirAdmin = await tokenFor(stranger.users.admin);
    const theirTag = await post(theirAdmin, '/v1/tags', { name: 'theirs' });
    const theirContact = await post(theirAdmin, '/v1/contacts', { first_name: 'Theirs' });
    const mine = await post(admin, '/v1/contacts', { first_name: 'Mine' });
    const myTag = await post(admin, '/v1/tags', { name: `mine ${crypto.randomUUID().slice(0, 6)}` });
    for (const [id, tagId] of [
      [mine.id, theirTag.id],
      [theirContact.id, myTag.id],
      [theirContact.id, theirTag.id],
    ]) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await send(method, linkPath('contacts', id, tagId), { token: admin });
        expect(res.status, `${method} ${id} ${tagId}`).toBe(404);
        expect(res.headers.get('Content-Type')).toMatch(/problem\+json/);
      }
    }
    expect(await sql('select 1 from contact_tags where entity_id = any($1) or tag_id = any($2)', [[mine.id, theirContact.id], [theirTag.id]])).toHaveLength(0);
    expect(await sql("select 1 from audit_log where org_id = $1 and action in ('tag', 'untag') and object_id = $2", [org.id, mine.id])).toHaveLength(0);
  });

  it('a soft-deleted record or a deleted tag is a 404; an unknown id a 404; a malformed one a 400', async () => {
    const contact = await post(admin, '/v1/contacts', { first_name: 'Soon gone' });
    const tag = await post(admin, '/v1/tags', { name: `fleeting ${crypto.randomUUID().slice(0, 6)}` });
    expect((await send('PUT', linkPath('contacts', contact.id, tag.id), { token: admin })).status).toBe(200);
    await send('DELETE', `/v1/contacts/${contact.id}`, { token: admin });
    expect((await send('PUT', linkPath('contacts', contact.id, tag.id), { token: admin })).status).toBe(404);
    expect((await send('DELETE', linkPath('contacts', contact.id, tag.id), { token: admin })).status).toBe(404);
    const live = await post(admin, '/v1/contacts', { first_name: 'Still here' });
    expect((await send('DELETE', `/v1/tags/${tag.id}`, { token: admin })).status).toBe(204);
    expect((await send('PUT', linkPath('contacts', live.id, tag.id), { token: admin })).status).toBe(404);
    expect((await send('PUT', linkPath('contacts', live.id, crypto.randomUUID()), { token: admin })).status).toBe(404);
    expect((await send('PUT', linkPath('contacts', 'nope', crypto.randomUUID()), { token: admin })).status).toBe(400);
    expect((await send('PUT', linkPath('contacts', live.id, 'nope'), { token: admin })).status).toBe(400);
  });

  it('no token is a 401; any role may tag', async () => {
    const contact = await post(admin, '/v1/contacts', { first_name: 'Anyone' });
    const tag = await post(admin, '/v1/tags', { name: `open ${crypto.randomUUID().slice(0, 6)}` });
    expect((await send('PUT', linkPath('contacts', contact.id, tag.id))).status).toBe(401);
    expect((await send('DELETE', linkPath('contacts', contact.id, tag.id))).status).toBe(401);
    const member = await tokenFor(org.users.member);
    expect((await send('PUT', linkPath('contacts', contact.id, tag.id), { token: member })).status).toBe(200);
    const [row] = await sql("select actor_id from audit_log where org_id = $1 and object_id = $2 and action = 'tag'", [org.id, contact.id]);
    expect(row.actor_id).toBe(org.users.member.id);
  });

  it('resources without tags have no tag routes (404 or 405)', async () => {
    const tag = await post(admin, '/v1/tags', { name: `nowhere ${crypto.randomUUID().slice(0, 6)}` });
    const res = await send('PUT', `/v1/activities/${crypto.randomUUID()}/tags/${tag.id}`, { token: admin });
    expect([404, 405]).toContain(res.status);
  });

  it('two concurrent links of one tag: both 200, one link, one audit row', async () => {
    const contact = await post(admin, '/v1/contacts', { first_name: 'Racer' });
    const tag = await post(admin, '/v1/tags', { name: `race ${crypto.randomUUID().slice(0, 6)}` });
    const answers = await Promise.all([1, 2].map(() => send('PUT', linkPath('contacts', contact.id, tag.id), { token: admin })));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await sql('select 1 from contact_tags where entity_id = $1', [contact.id])).toHaveLength(1);
    expect(await sql("select 1 from audit_log where org_id = $1 and object_id = $2 and action = 'tag'", [org.id, contact.id])).toHaveLength(1);
  });
});
