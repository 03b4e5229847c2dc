import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import type { StepMessage } from '../../src/resources/workflows/engine';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { answerWith, receivedAtLeast, receiverPath } from '../support/receiver';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Workflows (issue 25 §2): steps with dependencies run on the io, cpu and default queues once
// their dependencies succeeded, in parallel where independent, idempotent under redelivery,
// retried with backoff and failed (their message to the dead-letter queue) after the last try.

const appEnv = env as unknown as AppEnv;

/** One delivery of a step, as its queue would make it, through the Worker's queue handler. */
async function deliver(queue: string, body: StepMessage, attempts = 1) {
  const batch = createMessageBatch<StepMessage>(queue, [{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, appEnv);
  return getQueueResult(batch, ctx);
}

async function finished(runId: string, token: string) {
  for (let i = 0; i < 300; i++) {
    const res = await get(`/v1/workflow-runs/${runId}`, { token });
    expect(res.status).toBe(200);
    if (res.body.data.status !== 'running') return res.body.data;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not finish`);
}

const DIAMOND = [
  { key: 'greet', action: 'compute', params: { op: 'concat', args: ['Hello ', '$trigger.name'] } },
  {
    key: 'rename',
    action: 'update_field',
    params: { resource: 'contacts', id: '$trigger.contact', field: 'first_name', value: '$steps.greet.value' },
    dependsOn: ['greet'],
  },
  { key: 'remind', action: 'create_activity', params: { type: 'task', subject: '$steps.greet.value', contact_id: '$trigger.contact' }, dependsOn: ['greet'] },
  { key: 'total', action: 'compute', params: { op: 'sum', args: [1, 2, '$trigger.extra'] }, dependsOn: ['rename', 'remind'] },
];

describe('workflows', () => {
  let org: TestOrg;
  let admin: string;
  let contact: string;

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    [contact] = await createContacts(org.id, [{ first_name: 'Ada', last_name: 'Flow' }]);
  });

  async function workflow(steps: unknown[], name = 'W') {
    const res = await send('POST', '/v1/workflows', { token: admin, body: { name, steps } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data.id as string;
  }

  it('validates steps: a cycle, an unknown dependency or bad params is a 400 naming it; members may not', async () => {
    for (const [steps, path] of [
      [
        [
          { key: 'a', action: 'compute', params: { op: 'sum', args: [1] }, dependsOn: ['b'] },
          { key: 'b', action: 'compute', params: { op: 'sum', args: [1] }, dependsOn: ['a'] },
        ],
        'steps',
      ],
      [[{ key: 'a', action: 'compute', params: { op: 'sum', args: [1] }, dependsOn: ['nope'] }], 'steps[0].dependsOn'],
      [[{ key: 'a', action: 'update_field', params: { resource: 'contacts', id: 'x', value: 1 } }], 'steps[0].params.field'],
      [[{ key: 'a', action: 'launch', params: {} }], 'steps'],
    ] as const) {
      const res = await send('POST', '/v1/workflows', { token: admin, body: { name: 'bad', steps } });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(JSON.stringify(res.body)).toContain(path);
    }
    const member = await send('POST', '/v1/workflows', { token: await tokenFor(org.users.member), body: { name: 'm', steps: DIAMOND } });
    expect(member.status).toBe(403);
  });

  it('plans the stages with each step’s class and queue', async () => {
    const id = await workflow(DIAMOND);
    const plan = await get(`/v1/workflows/${id}/plan`, { token: admin });
    expect(plan.body.data.stages.map((s: Array<{ key: string }>) => s.map((x) => x.key))).toEqual([['greet'], ['rename', 'remind'], ['total']]);
    expect(plan.body.data.stages[1]).toEqual([
      { key: 'rename', action: 'update_field', class: 'mixed', queue: 'crm-workflow-default', dependsOn: ['greet'] },
      { key: 'remind', action: 'create_activity', class: 'mixed', queue: 'crm-workflow-default', dependsOn: ['greet'] },
    ]);
    expect(plan.body.data.stages[0][0]).toMatchObject({ class: 'cpu', queue: 'crm-workflow-cpu' });
    const other = await createOrg();
    expect((await get(`/v1/workflows/${id}/plan`, { token: await tokenFor(other.users.admin) })).status).toBe(404);
  });

  it('runs a diamond end to end through the queues: dependencies first, independent steps together, outputs passed on; redelivery changes nothing', async () => {
    const id = await workflow(DIAMOND);
    const started = await send('POST', `/v1/workflows/${id}/run`, { token: admin, body: { input: { contact, name: 'Ada', extra: 4 } } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await finished(started.body.data.id, admin);
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    const step = Object.fromEntries(run.steps.map((s: { key: string }) => [s.key, s]));
    expect(step.greet.output).toEqual({ value: 'Hello Ada' });
    expect(step.total.output).toEqual({ value: 7 });
    // Both middle steps were enqueued by the same statement, once greet succeeded; total after both.
    expect(step.rename.enqueuedAt).toBe(step.remind.enqueuedAt);
    expect(step.rename.enqueuedAt >= step.greet.finishedAt).toBe(true);
    expect(step.total.enqueuedAt >= step.rename.finishedAt && step.total.enqueuedAt >= step.remind.finishedAt).toBe(true);
    expect((await sql(`select first_name from contacts where id = $1`, [contact]))[0].first_name).toBe('Hello Ada');
    const activities = () => sql(`select id from activities where org_id = $1 and contact_id = $2 and subject = 'Hello Ada'`, [org.id, contact]);
    expect(await activities()).toHaveLength(1);

    // A redelivery of a finished step does nothing; nor does one of a step caught between its
    // action and its bookkeeping: the API replays the first answer to the step's Idempotency-Key.
    const message = { orgId: org.id, runId: run.id, step: 'remind' };
    expect((await deliver('crm-workflow-default', message)).explicitAcks).toHaveLength(1);
    await sql(`update workflow_step_runs set status = 'running' where run_id = $1 and step_key = 'remind'`, [run.id]);
    await sql(`update workflow_runs set status = 'running' where id = $1`, [run.id]);
    expect((await deliver('crm-workflow-default', message)).explicitAcks).toHaveLength(1);
    expect(await activities()).toHaveLength(1);
  });

  /** A webhook subscription to the test receiver (events nothing here makes): what an http step calls. */
  async function receiverHook() {
    const { path, url } = receiverPath();
    const res = await send('POST', '/v1/webhooks', { token: admin, body: { url, events: ['activity.restored'] } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { path, id: res.body.data.id as string, secret: res.body.data.secret as string };
  }

  it('an http step calls a webhook, signed with its secret (Standard Webhooks), its webhook-id the same on every retry', async () => {
    const hook = await receiverHook();
    const id = await workflow([{ key: 'call', action: 'http', params: { webhook: hook.id, body: { hello: '$trigger.name' } } }]);
    const started = await send('POST', `/v1/workflows/${id}/run`, { token: admin, body: { input: { name: 'Ada' } } });
    const run = await finished(started.body.data.id, admin);
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    const [request] = await receivedAtLeast(hook.path, 1);
    const payload = new Webhook(hook.secret).verify(request.body, request.headers) as { type: string; data: Record<string, unknown> };
    expect(payload).toMatchObject({ type: 'workflow.step', data: { run: run.id, step: 'call', body: { hello: 'Ada' } } });
    expect(request.headers['webhook-id']).toBe(`workflow:${run.id}:call`);
  });

  it('retries a failing step with backoff, then fails it, its run and what waits on it; the message goes on to the dead-letter queue', async () => {
    const hook = await receiverHook();
    await answerWith(hook.path, 500);
    const id = await workflow([
      { key: 'call', action: 'http', params: { webhook: hook.id } },
      { key: 'after', action: 'compute', params: { op: 'sum', args: [1] }, dependsOn: ['call'] },
    ]);
    const started = await send('POST', `/v1/workflows/${id}/run`, { token: admin, body: {} });
    expect(started.status).toBe(202);
    const message = { orgId: org.id, runId: started.body.data.id, step: 'call' };
    const first = await deliver('crm-workflow-io', message, 1);
    expect(first.retryMessages).toHaveLength(1);
    expect((await get(`/v1/workflow-runs/${message.runId}`, { token: admin })).body.data.status).toBe('running');
    // The io queue retries 4 times: the 5th attempt is the last.
    const last = await deliver('crm-workflow-io', message, 5);
    expect(last.retryMessages).toHaveLength(1);
    const run = (await get(`/v1/workflow-runs/${message.runId}`, { token: admin })).body.data;
    expect(run.status).toBe('failed');
    expect(run.error).toContain('step call');
    expect(Object.fromEntries(run.steps.map((s: { key: string; status: string }) => [s.key, s.status]))).toEqual({ call: 'failed', after: 'cancelled' });
  });

  it('a step the API refuses (4xx) fails at once, without retries', async () => {
    const id = await workflow([
      { key: 'touch', action: 'update_field', params: { resource: 'contacts', id: crypto.randomUUID(), field: 'first_name', value: 'X' } },
    ]);
    const started = await send('POST', `/v1/workflows/${id}/run`, { token: admin, body: {} });
    const run = await finished(started.body.data.id, admin);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run.steps[0].error).toContain('404');
  });

  it('the cron starts a scheduled workflow when it is due, once', async () => {
    const res = await send('POST', '/v1/workflows', {
      token: admin,
      body: { name: 'hourly', trigger: { type: 'schedule', everyMinutes: 60 }, steps: [{ key: 'one', action: 'compute', params: { op: 'sum', args: [1] } }] },
    });
    expect(res.status).toBe(201);
    const runs = () => sql(`select id, trigger from workflow_runs where workflow_id = $1`, [res.body.data.id]);
    const at = Date.now();
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *', scheduledTime: at }), appEnv);
    expect(await runs()).toHaveLength(1);
    expect((await runs())[0].trigger).toMatchObject({ type: 'schedule' });
    // 15 minutes later it is not due yet; an hour later it is.
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *', scheduledTime: at + 15 * 60_000 }), appEnv);
    expect(await runs()).toHaveLength(1);
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *', scheduledTime: at + 60 * 60_000 }), appEnv);
    expect(await runs()).toHaveLength(2);
  });

  it('a record event starts the workflows it triggers, with the record as $trigger; a workflow that changes what triggers it stops after 3 runs', async () => {
    const res = await send('POST', '/v1/workflows', {
      token: admin,
      body: {
        name: 'on update',
        trigger: { type: 'record', event: 'company.updated' },
        steps: [
          { key: 'tag', action: 'compute', params: { op: 'concat', args: ['depth ', '$trigger.depth'] } },
          {
            key: 'bump',
            action: 'update_field',
            params: { resource: 'companies', id: '$trigger.id', field: 'industry', value: '$steps.tag.value' },
            dependsOn: ['tag'],
          },
        ],
      },
    });
    expect(res.status).toBe(201);
    const company = await send('POST', '/v1/companies', { token: admin, body: { name: 'Loop Inc' } });
    const patched = await send('PATCH', `/v1/companies/${company.body.data.id}`, { token: admin, body: { name: 'Loop Inc.' } });
    expect(patched.status).toBe(200);
    const runs = async () => sql(`select status, trigger from workflow_runs where workflow_id = $1 order by created_at`, [res.body.data.id]);
    for (let i = 0; i < 100 && ((await runs()).length < 3 || (await runs()).some((r) => r.status === 'running')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const all = await runs();
    expect(all.map((r) => r.trigger.depth)).toEqual([0, 1, 2]);
    expect(all.every((r) => r.status === 'succeeded')).toBe(true);
    expect(all[0].trigger).toMatchObject({ type: 'record', event: 'company.updated', id: company.body.data.id });
    expect((await sql(`select industry from companies where id = $1`, [company.body.data.id]))[0].industry).toBe('depth 2');
  });
});
