import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// POST /v1/leads/{id}/convert: one transaction that makes a contact (and a company and a deal)
// from a lead and marks it converted; any refusal leaves nothing behind.

let org: TestOrg;
let admin: string;
let manager: string;
let member: string;
let pipeline: { id: string; firstStage: string };

async function post(token: string, path: string, body: unknown) {
  const res = await send('POST', path, { token, body });
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body.data;
}

let n = 0;
async function createLead(token: string, extra: Record<string, unknown> = {}) {
  n++;
  return post(token, '/v1/leads', {
    first_name: 'Grace',
    last_name: `Hopper ${n}`,
    email: `grace${n}@navy.example`,
    phone: '+1 555 0100',
    company_name: 'Navy Labs',
    source: 'event',
    score: 70,
    ...extra,
  });
}

const convert = (token: string, id: string, body: unknown = {}, headers?: Record<string, string>) =>
  send('POST', `/v1/leads/${id}/convert`, { token, body, headers });
const count = async (table: string) => (await sql(`select count(*)::int as n from ${table} where org_id = $1`, [org.id]))[0].n as number;
const counts = async () => ({
  contacts: await count('contacts'),
  companies: await count('companies'),
  deals: await count('deals'),
  audit: await count('audit_log'),
});

beforeAll(async () => {
  org = await createOrg();
  [admin, manager, member] = await Promise.all([tokenFor(org.users.admin), tokenFor(org.users.manager), tokenFor(org.users.member)]);
  const p = await post(admin, '/v1/pipelines', { name: 'Sales', is_default: true });
  const first = await post(admin, '/v1/stages', { pipeline_id: p.id, name: 'New', position: 1, probability: 15 });
  await post(admin, '/v1/stages', { pipeline_id: p.id, name: 'Won', position: 9, probability: 100, is_won: true });
  pipeline = { id: p.id, firstStage: first.id };
});

describe('converting a lead', () => {
  it('{} makes a contact from the lead and marks the lead converted, in one audited write', async () => {
    const lead = await createLead(admin, { owner_id: org.users.manager.id });
    const res = await convert(admin, lead.id);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Number(res.headers.get('X-Generation'))).toBeGreaterThan(0);
    const { data } = res.body;
    expect(Object.keys(data).sort()).toEqual(['contact', 'lead']);
    expect(data.contact).toMatchObject({
      first_name: 'Grace',
      last_name: lead.last_name,
      email: lead.email,
      phone: '+1 555 0100',
      source: 'event',
      owner_id: org.users.manager.id,
      primary_company_id: null,
    });
    expect(data.lead).toMatchObject({ id: lead.id, status: 'converted', converted_contact_id: data.contact.id });
    // Rendered as the GETs render them.
    expect((await get(`/v1/contacts/${data.contact.id}`, { token: admin })).body.data).toEqual(data.contact);
    expect((await get(`/v1/leads/${lead.id}`, { token: admin })).body.data).toEqual(data.lead);
    const trail = await sql(
      'select action, object_type, object_id, changes, request_id from audit_log where org_id = $1 and object_id = any($2) order by at, id',
      [org.id, [lead.id, data.contact.id]],
    );
    const mine = trail.filter((a) => a.request_id === trail.at(-1)?.request_id);
    expect(mine.map((a) => [a.action, a.object_type])).toEqual([
      ['create', 'contacts'],
      ['convert', 'leads'],
    ]);
    expect(mine[1].changes).toEqual({ status: { from: 'new', to: 'converted' }, converted_contact_id: { from: null, to: data.contact.id } });
  });

  it("the body's contact fields override the lead's", async () => {
    const lead = await createLead(admin);
    const res = await convert(admin, lead.id, {
      contact: { first_name: 'Amazing Grace', email: '', lifecycle_stage: 'customer', customer_id: `G-${lead.id}` },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.contact).toMatchObject({ first_name: 'Amazing Grace', last_name: lead.last_name, email: null, lifecycle_stage: 'customer' });
  });

  it("with company: {} creates one named after the lead's company_name, the contact's primary company", async () => {
    const lead = await createLead(admin, { owner_id: org.users.member.id });
    const res = await convert(admin, lead.id, { company: { industry: 'Defence' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { contact, company } = res.body.data;
    expect(company).toMatchObject({ name: 'Navy Labs', industry: 'Defence', owner_id: org.users.member.id });
    expect(contact.primary_company_id).toBe(company.id);
    expect((await sql('select action from audit_log where org_id = $1 and object_id = $2', [org.id, company.id])).map((a) => a.action)).toEqual(['create']);
  });

  it('a new company without a name, from a lead without company_name, is a 422 and nothing is written', async () => {
    const lead = await createLead(admin, { company_name: null });
    const before = await counts();
    const res = await convert(admin, lead.id, { company: {} });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('company_name_required');
    expect(res.body.errors).toEqual([{ path: 'company.name', message: expect.any(String) }]);
    expect(await counts()).toEqual(before);
    expect((await convert(admin, lead.id, { company: { name: 'Named Here' } })).status).toBe(201);
  });

  it('with company: {id} links an existing company of the org; another org’s is a 422', async () => {
    const company = await post(admin, '/v1/companies', { name: 'Existing Co' });
    const lead = await createLead(admin);
    const res = await convert(admin, lead.id, { company: { id: company.id.toUpperCase() } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.company).toEqual(expect.objectContaining({ id: company.id, name: 'Existing Co' }));
    expect(res.body.data.contact.primary_company_id).toBe(company.id);
    // Linked, not changed: its trail is only its create.
    expect((await sql('select action from audit_log where org_id = $1 and object_id = $2', [org.id, company.id])).map((a) => a.action)).toEqual(['create']);

    const stranger = await createOrg();
    const theirs = await post(await tokenFor(stranger.users.admin), '/v1/companies', { name: 'Not yours' });
    const other = await createLead(admin);
    const refused = await convert(admin, other.id, { company: { id: theirs.id } });
    expect(refused.status).toBe(422);
    expect(refused.body.rule).toBe('reference_in_org');
    expect(refused.body.errors).toEqual([{ path: 'company.id', message: expect.any(String) }]);
    await send('DELETE', `/v1/companies/${company.id}`, { token: admin });
    expect((await convert(admin, other.id, { company: { id: company.id } })).status).toBe(422);
    const both = await convert(admin, other.id, { company: { id: company.id, name: 'Rename?' } });
    expect(both.status).toBe(400);
    expect(both.body.errors[0].path).toBe('company.id');
  });

  it('with deal: a deal for the contact and company in the default pipeline, first stage', async () => {
    const lead = await createLead(admin, { owner_id: org.users.manager.id });
    const res = await convert(admin, lead.id, { company: {}, deal: { name: 'Compiler licence', value: '5000' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { contact, company, deal } = res.body.data;
    expect(deal).toMatchObject({
      name: 'Compiler licence',
      value: '5000.00',
      pipeline_id: pipeline.id,
      stage_id: pipeline.firstStage,
      probability: 15,
      status: 'open',
      contact_id: contact.id,
      company_id: company.id,
      owner_id: org.users.manager.id,
    });
    const actions = await sql(
      'select action, object_type from audit_log where org_id = $1 and request_id = (select request_id from audit_log where object_id = $2)',
      [org.id, deal.id],
    );
    expect(actions.map((a) => `${a.action} ${a.object_type}`).sort()).toEqual(['convert leads', 'create companies', 'create contacts', 'create deals']);
  });

  it('a deal straight at the won stage is won', async () => {
    const lead = await createLead(admin);
    const won = (await sql('select id from pipeline_stages where pipeline_id = $1 and is_won', [pipeline.id]))[0].id;
    const res = await convert(admin, lead.id, { deal: { name: 'Signed on the spot', stage_id: won } });
    expect(res.body.data.deal).toMatchObject({ status: 'won', probability: 100, company_id: null });
  });

  it('a lead converted once is a 409 lead_already_converted', async () => {
    const lead = await createLead(admin);
    expect((await convert(admin, lead.id)).status).toBe(201);
    const again = await convert(admin, lead.id, { deal: { name: 'Twice' } });
    expect(again.status).toBe(409);
    expect(again.body.rule).toBe('lead_already_converted');
    // A lead whose status was set to converted by hand counts as converted too.
    const marked = await createLead(admin, { status: 'converted' });
    expect((await convert(admin, marked.id)).body.rule).toBe('lead_already_converted');
  });

  it('two conversions at once: one converts, the other is a 409', async () => {
    const lead = await createLead(admin);
    const answers = await Promise.all([convert(admin, lead.id), convert(manager, lead.id)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await sql('select 1 from contacts where org_id = $1 and last_name = $2', [org.id, lead.last_name])).toHaveLength(1);
  });

  it('a failing deal (value -1) rolls back everything: no contact, no company, lead unchanged, no audit rows', async () => {
    const lead = await createLead(admin);
    const before = await counts();
    const res = await convert(admin, lead.id, { company: {}, deal: { name: 'Negative', value: -1 } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('deal_value_non_negative');
    expect(res.body.errors).toEqual([{ path: 'deal.value', message: expect.any(String) }]);
    expect(await counts()).toEqual(before);
    const [row] = await sql('select status, converted_contact_id, updated_at from leads where id = $1', [lead.id]);
    expect(row).toMatchObject({ status: 'new', converted_contact_id: null });
    expect(new Date(row.updated_at).toISOString().slice(0, 19)).toBe(lead.updated_at.slice(0, 19));
    // A deal naming a stage of no pipeline of the org: refused too, nothing written.
    const bad = await convert(admin, lead.id, { deal: { name: 'Lost', stage_id: crypto.randomUUID() } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ path: 'deal.stage_id', message: expect.any(String) }]);
    expect(await counts()).toEqual(before);
  });

  it('bodies are strict: unknown fields and the links conversion sets itself are refused by path', async () => {
    const lead = await createLead(admin);
    for (const [body, path] of [
      [{ contact: { shoe_size: 44 } }, 'contact.shoe_size'],
      [{ contact: { primary_company_id: crypto.randomUUID() } }, 'contact.primary_company_id'],
      [{ deal: { name: 'x', contact_id: crypto.randomUUID() } }, 'deal.contact_id'],
      [{ deal: { name: 'x', status: 'won' } }, 'deal.status'],
      [{ deal: {} }, 'deal.name'],
      [{ company: { nickname: 'x' } }, 'company.nickname'],
      [{ lead: {} }, 'lead'],
    ] as const) {
      const res = await convert(admin, lead.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].path).toBe(path);
    }
    expect((await sql('select status from leads where id = $1', [lead.id]))[0].status).toBe('new');
  });

  it('a deleted lead, another org’s lead and a malformed id are 404 / 400; no token is a 401', async () => {
    const gone = await createLead(admin);
    await send('DELETE', `/v1/leads/${gone.id}`, { token: admin });
    expect((await convert(admin, gone.id)).status).toBe(404);
    const stranger = await createOrg();
    const theirs = await createLead(await tokenFor(stranger.users.admin));
    expect((await convert(admin, theirs.id)).status).toBe(404);
    expect((await sql('select status from leads where id = $1', [theirs.id]))[0].status).toBe('new');
    expect((await convert(admin, 'not-a-uuid')).status).toBe(400);
    expect((await send('POST', `/v1/leads/${theirs.id}/convert`, { body: {} })).status).toBe(401);
    expect((await send('POST', `/v1/leads/${theirs.id}/convert`, { token: admin, body: 'x', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
  });

  it('an Idempotency-Key replays the conversion instead of converting twice', async () => {
    const lead = await createLead(admin);
    const key = `convert-${lead.id}`;
    const first = await convert(admin, lead.id, { deal: { name: 'Once' } }, { 'Idempotency-Key': key });
    const second = await convert(admin, lead.id, { deal: { name: 'Once' } }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
  });
});

describe('converting: who may own what', () => {
  it('a member converts their own lead; the records are theirs', async () => {
    const lead = await createLead(member);
    expect(lead.owner_id).toBe(org.users.member.id);
    const res = await convert(member, lead.id, { company: {}, deal: { name: 'Mine' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { contact, company, deal } = res.body.data;
    expect([contact.owner_id, company.owner_id, deal.owner_id]).toEqual(Array(3).fill(org.users.member.id));
  });

  it("a member may not give the new records to someone else, the lead's owner included (403), unless they take them", async () => {
    const lead = await createLead(admin, { owner_id: org.users.manager.id });
    const before = await counts();
    const inherited = await convert(member, lead.id);
    expect(inherited.status).toBe(403);
    expect(inherited.body.errors).toEqual([{ path: 'contact.owner_id', message: expect.any(String) }]);
    const named = await convert(member, lead.id, { contact: { owner_id: org.users.member.id }, deal: { name: 'Theirs', owner_id: org.users.manager.id } });
    expect(named.status).toBe(403);
    expect(named.body.errors).toEqual([{ path: 'deal.owner_id', message: expect.any(String) }]);
    expect(await counts()).toEqual(before);
    const taken = await convert(member, lead.id, { contact: { owner_id: org.users.member.id }, deal: { name: 'Taken' } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body.data.deal.owner_id).toBe(org.users.member.id);
  });

  it('a manager may give them to anyone of the org, not to a user of another org', async () => {
    const lead = await createLead(admin);
    const stranger = await createOrg();
    const outside = await convert(manager, lead.id, { contact: { owner_id: stranger.users.admin.id } });
    expect(outside.status).toBe(422);
    expect(outside.body.errors).toEqual([{ path: 'contact.owner_id', message: expect.any(String) }]);
    const res = await convert(manager, lead.id, { contact: { owner_id: org.users.member.id } });
    expect(res.status).toBe(201);
    expect(res.body.data.contact.owner_id).toBe(org.users.member.id);
  });
});

describe('the document', () => {
  it('documents the conversion and the tag routes', async () => {
    const doc = (await get('/openapi.json')).body;
    expect(doc.paths['/v1/leads/{id}/convert'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/LeadConvert');
    expect(doc.components.schemas.LeadConvertDeal.required).toEqual(['name']);
    for (const r of ['contacts', 'companies', 'leads', 'deals']) expect(Object.keys(doc.paths[`/v1/${r}/{id}/tags/{tagId}`]).sort()).toEqual(['delete', 'put']);
  });
});
