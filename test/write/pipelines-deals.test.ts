import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// The seeds' pipeline and deal rules, over HTTP: each broken rule is a 409 or 422 naming it, and
// nothing of the refused write is left behind.

interface Pipeline {
  id: string;
  stages: { open: string; next: string; won: string; lost: string };
}

async function post(token: string, path: string, body: unknown) {
  const res = await send('POST', path, { token, body });
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body.data;
}

/** A pipeline with four stages: open (10 %), next (40 %), won (100 %) and lost (0 %). */
async function createPipeline(token: string, name: string, isDefault = false): Promise<Pipeline> {
  const p = await post(token, '/v1/pipelines', { name, is_default: isDefault });
  const stage = (name: string, position: number, extra: Record<string, unknown>) =>
    post(token, '/v1/stages', { pipeline_id: p.id, name, position, ...extra }).then((s) => s.id as string);
  const [open, next, won, lost] = await Promise.all([
    stage('Open', 1, { probability: 10 }),
    stage('Next', 2, { probability: 40 }),
    stage('Won', 3, { probability: 100, is_won: true }),
    stage('Lost', 4, { probability: 0, is_lost: true }),
  ]);
  return { id: p.id, stages: { open, next, won, lost } };
}

const defaults = (orgId: string) => sql<{ id: string }>('select id from pipelines where org_id = $1 and is_default', [orgId]);
const auditOf = (orgId: string, id: string) =>
  sql<{ action: string; changes: any }>('select action, changes from audit_log where org_id = $1 and object_id = $2 order by at, id', [orgId, id]);

describe('pipelines: one default per org', () => {
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
  });

  it('a new default pipeline takes the flag from the old one, both audited', async () => {
    const first = await post(admin, '/v1/pipelines', { name: 'First', is_default: true });
    const second = await post(admin, '/v1/pipelines', { name: 'Second', is_default: true });
    expect(second.is_default).toBe(true);
    expect(await defaults(org.id)).toEqual([{ id: second.id }]);
    const trail = await auditOf(org.id, first.id);
    expect(trail.map((a) => a.action)).toEqual(['create', 'update']);
    expect(trail[1].changes).toEqual({ is_default: { from: true, to: false } });
    expect((await auditOf(org.id, second.id)).map((a) => a.action)).toEqual(['create']);
  });

  it('PATCH is_default true moves the default; the old one is demoted in the same write', async () => {
    const third = await post(admin, '/v1/pipelines', { name: 'Third' });
    const [old] = await defaults(org.id);
    const res = await send('PATCH', `/v1/pipelines/${third.id}`, { token: admin, body: { is_default: true } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await defaults(org.id)).toEqual([{ id: third.id }]);
    const demoted = await sql('select request_id from audit_log where org_id = $1 and object_id = $2 and action = $3', [org.id, old.id, 'update']);
    const promoted = await sql('select request_id from audit_log where org_id = $1 and object_id = $2 and action = $3', [org.id, third.id, 'update']);
    // One request, one transaction: both rows carry its id.
    expect(demoted.at(-1)?.request_id).toBe(promoted.at(-1)?.request_id);
  });

  it('two concurrent "make default" requests leave exactly one default', async () => {
    const a = await post(admin, '/v1/pipelines', { name: 'Race A' });
    const b = await post(admin, '/v1/pipelines', { name: 'Race B' });
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([a, b].map((p) => send('PATCH', `/v1/pipelines/${p.id}`, { token: admin, body: { is_default: true } })));
      // Default changes of one org take turns: each request finds the other's default and demotes it.
      expect(
        answers.map((r) => r.status),
        JSON.stringify(answers.map((r) => r.body)),
      ).toEqual([200, 200]);
      const now = await defaults(org.id);
      expect(now).toHaveLength(1);
      expect([a.id, b.id]).toContain(now[0].id);
    }
  });

  it('the database itself refuses a second default (the index behind the rule)', async () => {
    const p = await post(admin, '/v1/pipelines', { name: 'Sneaky' });
    await expect(sql('update pipelines set is_default = true where id = $1', [p.id])).rejects.toThrow(/pipelines_one_default_per_org/);
  });

  it('a batch making two pipelines the default is a 409 naming the rule, and writes nothing', async () => {
    const before = await sql('select count(*)::int as n from pipelines where org_id = $1', [org.id]);
    const res = await send('POST', '/v1/pipelines/batch', {
      token: admin,
      body: {
        records: [
          { name: 'Twin 1', is_default: true },
          { name: 'Twin 2', is_default: true },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.body.rule).toBe('one_default_pipeline_per_org');
    expect(await sql('select count(*)::int as n from pipelines where org_id = $1', [org.id])).toEqual(before);
  });

  it('a pipeline name is unique per org (409)', async () => {
    const res = await send('POST', '/v1/pipelines', { token: admin, body: { name: 'First' } });
    expect(res.status).toBe(409);
    expect(res.body.rule).toBe('unique_pipeline_name');
  });
});

describe('stages', () => {
  let org: TestOrg;
  let admin: string;
  let p: Pipeline;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    p = await createPipeline(admin, 'Sales', true);
  });

  it('a second won or lost stage is a 409 naming the rule', async () => {
    const won = await send('POST', '/v1/stages', { token: admin, body: { pipeline_id: p.id, name: 'Won again', position: 10, is_won: true } });
    expect(won.status).toBe(409);
    expect(won.body.rule).toBe('one_won_stage_per_pipeline');
    expect(won.body.errors).toEqual([{ path: 'is_won', message: expect.any(String) }]);
    const lost = await send('PATCH', `/v1/stages/${p.stages.next}`, { token: admin, body: { is_lost: true } });
    expect(lost.status).toBe(409);
    expect(lost.body.rule).toBe('one_lost_stage_per_pipeline');
  });

  it('a stage both won and lost is a 422', async () => {
    const other = await createPipeline(admin, 'Both');
    const res = await send('PATCH', `/v1/stages/${other.stages.open}`, { token: admin, body: { is_won: true, is_lost: true } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('stage_not_won_and_lost');
  });

  it('probability outside 0–100 is a 422', async () => {
    for (const probability of [-1, 101]) {
      const res = await send('PATCH', `/v1/stages/${p.stages.open}`, { token: admin, body: { probability } });
      expect(res.status).toBe(422);
      expect(res.body.rule).toBe('probability_0_to_100');
    }
    const ok = await send('PATCH', `/v1/stages/${p.stages.open}`, { token: admin, body: { probability: 0 } });
    expect(ok.status).toBe(200);
    await send('PATCH', `/v1/stages/${p.stages.open}`, { token: admin, body: { probability: 10 } });
  });

  it('a position taken in the pipeline is a 409; the same position in another pipeline is fine', async () => {
    const res = await send('POST', '/v1/stages', { token: admin, body: { pipeline_id: p.id, name: 'Dup', position: 2 } });
    expect(res.status).toBe(409);
    expect(res.body.rule).toBe('unique_stage_position');
    const other = await post(admin, '/v1/pipelines', { name: 'Other' });
    expect((await send('POST', '/v1/stages', { token: admin, body: { pipeline_id: other.id, name: 'Two', position: 2 } })).status).toBe(201);
  });

  it('pipeline_id is set only when creating', async () => {
    const other = await post(admin, '/v1/pipelines', { name: 'Elsewhere' });
    const res = await send('PATCH', `/v1/stages/${p.stages.next}`, { token: admin, body: { pipeline_id: other.id } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('pipeline_id');
  });

  it('a stage or pipeline that deals still use cannot be deleted (409 still_referenced); unused ones can', async () => {
    const used = await createPipeline(admin, 'Used');
    await post(admin, '/v1/deals', { name: 'Holds on', pipeline_id: used.id });
    const stage = await send('DELETE', `/v1/stages/${used.stages.open}`, { token: admin });
    expect(stage.status).toBe(409);
    expect(stage.body.rule).toBe('still_referenced');
    const pipeline = await send('DELETE', `/v1/pipelines/${used.id}`, { token: admin });
    expect(pipeline.status).toBe(409);
    expect(pipeline.body.rule).toBe('still_referenced');
    expect(await sql('select 1 from pipeline_stages where id = $1', [used.stages.open])).toHaveLength(1);
    expect((await send('DELETE', `/v1/stages/${used.stages.next}`, { token: admin })).status).toBe(204);
    const unused = await createPipeline(admin, 'Unused');
    expect((await send('DELETE', `/v1/pipelines/${unused.id}`, { token: admin })).status).toBe(204);
    expect(await sql('select 1 from pipeline_stages where pipeline_id = $1', [unused.id])).toHaveLength(0);
  });

  it("another org's pipeline is no pipeline (422 reference_in_org)", async () => {
    const stranger = await createOrg();
    const theirs = await post(await tokenFor(stranger.users.admin), '/v1/pipelines', { name: 'Theirs' });
    const res = await send('POST', '/v1/stages', { token: admin, body: { pipeline_id: theirs.id, name: 'Sneaky', position: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('reference_in_org');
  });
});

describe('deals follow their stage', () => {
  let org: TestOrg;
  let admin: string;
  let main: Pipeline;
  let other: Pipeline;
  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    main = await createPipeline(admin, 'Main', true);
    other = await createPipeline(admin, 'Other');
  });

  it('a deal without pipeline or stage lands in the default pipeline, first stage, with its probability', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Plain', value: 100 });
    expect(deal).toMatchObject({ pipeline_id: main.id, stage_id: main.stages.open, probability: 10, status: 'open', closed_at: null, value: '100.00' });
  });

  it('a deal given a pipeline starts at its first stage', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Elsewhere', pipeline_id: other.id });
    expect(deal).toMatchObject({ pipeline_id: other.id, stage_id: other.stages.open, probability: 10 });
  });

  it('moving to a stage takes its probability unless one is given', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Mover' });
    const moved = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: main.stages.next } });
    expect(moved.body.data).toMatchObject({ stage_id: main.stages.next, probability: 40, status: 'open' });
    const given = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: main.stages.open, probability: 25 } });
    expect(given.body.data).toMatchObject({ stage_id: main.stages.open, probability: 25 });
    // Probability alone leaves the stage where it is.
    const alone = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { probability: 30 } });
    expect(alone.body.data).toMatchObject({ stage_id: main.stages.open, probability: 30 });
  });

  it('the won or lost stage closes the deal; an open stage reopens it', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Closer' });
    const won = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: main.stages.won } });
    expect(won.body.data).toMatchObject({ status: 'won', probability: 100 });
    expect(won.body.data.closed_at).toEqual(expect.any(String));
    const again = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { name: 'Closer, renamed' } });
    expect(again.body.data.closed_at).toBe(won.body.data.closed_at);
    const lost = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: main.stages.lost } });
    expect(lost.body.data).toMatchObject({ status: 'lost', probability: 0 });
    expect(lost.body.data.closed_at).toEqual(expect.any(String));
    const reopened = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: main.stages.next } });
    expect(reopened.body.data).toMatchObject({ status: 'open', closed_at: null, probability: 40 });
    const trail = await auditOf(org.id, deal.id);
    expect(trail.map((a) => a.action)).toEqual(['create', 'update', 'update', 'update', 'update']);
    expect(trail[1].changes.status).toEqual({ from: 'open', to: 'won' });
    expect(trail[4].changes.status).toEqual({ from: 'lost', to: 'open' });
  });

  it('a deal created straight at the won stage is won and closed', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Instant', stage_id: other.stages.won });
    expect(deal).toMatchObject({ pipeline_id: other.id, status: 'won', probability: 100 });
    expect(deal.closed_at).toEqual(expect.any(String));
  });

  it('a stage of another pipeline than the one named is a 422', async () => {
    const res = await send('POST', '/v1/deals', { token: admin, body: { name: 'Mixed', pipeline_id: main.id, stage_id: other.stages.next } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('stage_in_pipeline');
    expect(res.body.errors).toEqual([{ path: 'stage_id', message: expect.any(String) }]);
    const deal = await post(admin, '/v1/deals', { name: 'Stays' });
    const patched = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { pipeline_id: main.id, stage_id: other.stages.next } });
    expect(patched.status).toBe(422);
  });

  it('a stage alone moves the deal to that stage’s pipeline', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Hopper' });
    const res = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { stage_id: other.stages.next } });
    expect(res.body.data).toMatchObject({ pipeline_id: other.id, stage_id: other.stages.next, probability: 40 });
  });

  it('moving to another pipeline without a stage is a 422 and changes nothing', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Lost in transit' });
    const res = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { pipeline_id: other.id } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'stage_id', message: 'required when moving to another pipeline' }]);
    const [row] = await sql('select pipeline_id, stage_id from deals where id = $1', [deal.id]);
    expect(row).toEqual({ pipeline_id: main.id, stage_id: main.stages.open });
  });

  it('status and closed_at are not writable (400 naming the field)', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Read only' });
    for (const body of [{ status: 'won' }, { closed_at: '2025-01-01T00:00:00Z' }]) {
      const res = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toEqual({ path: Object.keys(body)[0], message: 'unknown or read-only field' });
    }
    expect((await send('POST', '/v1/deals', { token: admin, body: { name: 'x', status: 'won' } })).status).toBe(400);
  });

  it('a negative value is a 422 deal_value_non_negative; 0 is fine', async () => {
    const res = await send('POST', '/v1/deals', { token: admin, body: { name: 'Negative', value: -1 } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('deal_value_non_negative');
    expect(res.body.errors).toEqual([{ path: 'value', message: expect.any(String) }]);
    expect(await sql("select 1 from deals where org_id = $1 and name = 'Negative'", [org.id])).toHaveLength(0);
    const deal = await post(admin, '/v1/deals', { name: 'Free', value: '0' });
    const patched = await send('PATCH', `/v1/deals/${deal.id}`, { token: admin, body: { value: '-0.01' } });
    expect(patched.status).toBe(422);
    expect(patched.body.rule).toBe('deal_value_non_negative');
  });

  it('probability outside 0–100 is a 422', async () => {
    const res = await send('POST', '/v1/deals', { token: admin, body: { name: 'Sure thing', probability: 101 } });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('probability_0_to_100');
  });

  it('a batch whose second record breaks value ≥ 0 writes nothing, audits nothing', async () => {
    const deal = await post(admin, '/v1/deals', { name: 'Batch target', value: 5 });
    const auditBefore = await sql('select count(*)::int as n from audit_log where org_id = $1', [org.id]);
    const dealsBefore = await sql('select count(*)::int as n from deals where org_id = $1', [org.id]);
    const res = await send('POST', '/v1/deals/batch', {
      token: admin,
      body: {
        records: [
          { name: 'B1', value: 1 },
          { name: 'B2', value: -5 },
          { id: deal.id, value: 7 },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.rule).toBe('deal_value_non_negative');
    expect(await sql('select count(*)::int as n from deals where org_id = $1', [org.id])).toEqual(dealsBefore);
    expect(await sql('select count(*)::int as n from audit_log where org_id = $1', [org.id])).toEqual(auditBefore);
    expect((await sql('select value from deals where id = $1', [deal.id]))[0].value).toBe('5.00');
    // An update in a batch breaking it: the creates before it are rolled back too.
    const upd = await send('POST', '/v1/deals/batch', { token: admin, body: { records: [{ name: 'B3' }, { id: deal.id, value: -1 }] } });
    expect(upd.status).toBe(422);
    expect(await sql('select count(*)::int as n from deals where org_id = $1', [org.id])).toEqual(dealsBefore);
  });

  it('without a default pipeline, a deal needs one named (422)', async () => {
    const bare = await createOrg();
    const res = await send('POST', '/v1/deals', { token: await tokenFor(bare.users.admin), body: { name: 'Nowhere' } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('pipeline_id');
  });
});

describe('contacts: customer_id unique per org', () => {
  it('a taken customer_id is a 409 unique_customer_id; another org may use it', async () => {
    const [a, b] = await Promise.all([createOrg(), createOrg()]);
    const [ta, tb] = await Promise.all([tokenFor(a.users.admin), tokenFor(b.users.admin)]);
    const customerId = `CUST-${crypto.randomUUID().slice(0, 8)}`;
    await post(ta, '/v1/contacts', { first_name: 'One', customer_id: customerId });
    const dup = await send('POST', '/v1/contacts', { token: ta, body: { first_name: 'Two', customer_id: customerId } });
    expect(dup.status).toBe(409);
    expect(dup.body.rule).toBe('unique_customer_id');
    expect(dup.body.errors).toEqual([{ path: 'customer_id', message: expect.any(String) }]);
    const other = await post(ta, '/v1/contacts', { first_name: 'Three' });
    const patched = await send('PATCH', `/v1/contacts/${other.id}`, { token: ta, body: { customer_id: customerId } });
    expect(patched.status).toBe(409);
    expect(patched.body.rule).toBe('unique_customer_id');
    expect((await send('POST', '/v1/contacts', { token: tb, body: { first_name: 'Elsewhere', customer_id: customerId } })).status).toBe(201);
  });
});
