import { sign } from 'hono/jwt';
import type { Db } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import { postSigned } from '../webhooks/consumer';
import { openSecret } from '../webhooks/subscriptions';
import { compute, PARAMS, QUEUE_OF, resolveRefs, STEP_CLASS, type StepSpec } from './spec';

/**
 * Runs workflows on the io / cpu / default queues (decision 0049). A run snapshots its
 * workflow's steps; each step is a row of workflow_step_runs, enqueued once (enqueued_at)
 * when its dependencies have all succeeded, so independent steps run in parallel on their
 * class's queue. Every action is idempotent under redelivery: writes go through the API with
 * an Idempotency-Key of the run and step (a replay answers the first result), a step already
 * succeeded is skipped, and `wait` and `compute` have no side effects.
 */

/** What a workflow queue carries: one step of one run. */
export interface StepMessage {
  orgId: string;
  runId: string;
  step: string;
}

/** How deep a write is in a chain of record-triggered runs (a step's writes send it, one deeper than its run's trigger). */
export const DEPTH_HEADER = 'X-Workflow-Depth';
/** Record-triggered runs started by writes of record-triggered runs stop at this depth. */
export const MAX_DEPTH = 3;

/** The Worker's own fetch: record actions go through the API as the workflow's creator. */
export type Api = (request: Request) => Promise<Response>;

/** A step's outcome in this delivery: done (or skipped), or to be delivered again after a delay (`wait`). */
export type StepOutcome = { kind: 'done' } | { kind: 'later'; delaySeconds: number };

/** A failure retrying cannot fix (a 4xx from the API): the step fails at once. */
export class PermanentStepError extends Error {}

/** The queue binding of a workflow queue's name. */
export const workflowQueue = (env: AppEnv, queue: string): Queue<StepMessage> =>
  ({ 'crm-workflow-io': env.WORKFLOW_IO_QUEUE, 'crm-workflow-cpu': env.WORKFLOW_CPU_QUEUE, 'crm-workflow-default': env.WORKFLOW_QUEUE })[
    queue
  ] as Queue<StepMessage>;

/** Enqueues every step of the run whose dependencies have succeeded and that nobody enqueued yet. */
async function enqueueReady(env: AppEnv, db: Db, orgId: string, runId: string): Promise<string[]> {
  const { rows } = await db.query<{ step: string; queue: string }>(
    `update workflow_step_runs s set enqueued_at = now(), updated_at = now()
     where s.org_id = $1 and s.run_id = $2 and s.enqueued_at is null and s.status = 'queued'
       and not exists (select 1 from workflow_step_runs p
                       where p.org_id = s.org_id and p.run_id = s.run_id and p.step_key = any(s.depends_on) and p.status <> 'succeeded')
     returning s.step_key as step, s.queue`,
    [orgId, runId],
  );
  await Promise.all(rows.map((r) => workflowQueue(env, r.queue).send({ orgId, runId, step: r.step })));
  return rows.map((r) => r.step);
}

/** Starts a run of a workflow (its steps as they are now) and enqueues its first stage. */
export async function startRun(
  env: AppEnv,
  db: Db,
  workflow: { id: string; orgId: string; steps: StepSpec[] },
  trigger: Record<string, unknown>,
  actor: string,
): Promise<string> {
  const runId = crypto.randomUUID();
  await db.query(
    `insert into workflow_runs (id, org_id, workflow_id, status, steps, trigger, created_by, started_at) values ($1, $2, $3, 'running', $4::jsonb, $5::jsonb, $6, now())`,
    [runId, workflow.orgId, workflow.id, JSON.stringify(workflow.steps), JSON.stringify(trigger), actor],
  );
  await db.query(
    `insert into workflow_step_runs (org_id, run_id, step_key, step_class, queue, depends_on)
     select $1, $2, s->>'key', s->>'class', s->>'queue', array(select jsonb_array_elements_text(s->'dependsOn'))
     from jsonb_array_elements($3::jsonb) s`,
    [
      workflow.orgId,
      runId,
      JSON.stringify(workflow.steps.map((s) => ({ key: s.key, dependsOn: s.dependsOn, class: STEP_CLASS[s.action], queue: QUEUE_OF[STEP_CLASS[s.action]] }))),
    ],
  );
  await enqueueReady(env, db, workflow.orgId, runId);
  return runId;
}

interface RunRow {
  status: string;
  steps: StepSpec[];
  trigger: Record<string, unknown>;
  createdBy: string | null;
  stepStatus: string;
  output: Record<string, unknown> | null;
}

/** Runs one delivered step. Throws to be retried; PermanentStepError to fail at once. */
export async function runStep(env: AppEnv, db: Db, api: Api, m: StepMessage): Promise<StepOutcome> {
  const { rows } = await db.query<RunRow>(
    `select r.status, r.steps, r.trigger, r.created_by as "createdBy", s.status as "stepStatus", s.output
     from workflow_runs r join workflow_step_runs s on s.org_id = r.org_id and s.run_id = r.id and s.step_key = $3
     where r.org_id = $1 and r.id = $2`,
    [m.orgId, m.runId, m.step],
  );
  const run = rows[0];
  // Unknown, finished, or its run is over (failed, cancelled): a redelivery has nothing to do.
  if (run?.status !== 'running' || !['queued', 'running'].includes(run.stepStatus)) return { kind: 'done' };
  const spec = run.steps.find((s) => s.key === m.step);
  if (!spec) return { kind: 'done' };
  await db.query(
    `update workflow_step_runs set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
     where org_id = $1 and run_id = $2 and step_key = $3`,
    [m.orgId, m.runId, m.step],
  );
  const outputs = await stepOutputs(db, m);
  const params = resolveRefs(spec.params, { steps: outputs, trigger: run.trigger }) as Record<string, unknown>;
  const result = await act(env, db, api, m, run, spec.action, params);
  if ('later' in result) {
    await db.query(`update workflow_step_runs set output = $4::jsonb, updated_at = now() where org_id = $1 and run_id = $2 and step_key = $3`, [
      m.orgId,
      m.runId,
      m.step,
      JSON.stringify(result.output),
    ]);
    return { kind: 'later', delaySeconds: result.later };
  }
  await db.query(
    `update workflow_step_runs set status = 'succeeded', output = $4::jsonb, error = null, finished_at = now(), updated_at = now()
     where org_id = $1 and run_id = $2 and step_key = $3`,
    [m.orgId, m.runId, m.step, JSON.stringify(result.output)],
  );
  await enqueueReady(env, db, m.orgId, m.runId);
  await db.query(
    `update workflow_runs r set status = 'succeeded', finished_at = now(), updated_at = now()
     where r.org_id = $1 and r.id = $2 and r.status = 'running'
       and not exists (select 1 from workflow_step_runs s where s.org_id = r.org_id and s.run_id = r.id and s.status <> 'succeeded')`,
    [m.orgId, m.runId],
  );
  return { kind: 'done' };
}

/** The step failed for good: it, its run, and every step still waiting are marked. */
export async function failStep(db: Db, m: StepMessage, error: string): Promise<void> {
  await db.query(
    `update workflow_step_runs set status = 'failed', error = $4, finished_at = now(), updated_at = now()
     where org_id = $1 and run_id = $2 and step_key = $3 and status in ('queued', 'running')`,
    [m.orgId, m.runId, m.step, error.slice(0, 500)],
  );
  await db.query(`update workflow_step_runs set status = 'cancelled', updated_at = now() where org_id = $1 and run_id = $2 and status = 'queued'`, [
    m.orgId,
    m.runId,
  ]);
  await db.query(
    `update workflow_runs set status = 'failed', error = $3, finished_at = now(), updated_at = now() where org_id = $1 and id = $2 and status = 'running'`,
    [m.orgId, m.runId, `step ${m.step}: ${error.slice(0, 480)}`],
  );
}

async function stepOutputs(db: Db, m: StepMessage): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ key: string; output: unknown }>(
    `select step_key as key, output from workflow_step_runs where org_id = $1 and run_id = $2 and status = 'succeeded'`,
    [m.orgId, m.runId],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.output]));
}

type ActResult = { output: unknown } | { output: unknown; later: number };

async function act(env: AppEnv, db: Db, api: Api, m: StepMessage, run: RunRow, action: StepSpec['action'], raw: Record<string, unknown>): Promise<ActResult> {
  const idempotencyKey = `workflow:${m.runId}:${m.step}`;
  switch (action) {
    case 'compute': {
      const p = PARAMS.compute.parse(raw);
      return { output: { value: compute(p.op, p.args) } };
    }
    case 'wait': {
      const p = PARAMS.wait.parse(raw);
      const until = typeof run.output?.until === 'number' ? run.output.until : Date.now() + p.seconds * 1000;
      const left = Math.ceil((until - Date.now()) / 1000);
      return left > 0 ? { output: { until }, later: left } : { output: { waited: p.seconds } };
    }
    case 'update_field': {
      const p = PARAMS.update_field.parse(raw);
      const body = await callApi(
        env,
        db,
        api,
        m,
        run,
        'PATCH',
        `/v1/${p.resource}/${encodeURIComponent(String(p.id))}`,
        { [p.field]: p.value },
        idempotencyKey,
      );
      return { output: { id: body.data?.id, [p.field]: body.data?.[p.field] } };
    }
    case 'create_activity': {
      const p = PARAMS.create_activity.parse(raw);
      const body = await callApi(env, db, api, m, run, 'POST', '/v1/activities', p, idempotencyKey);
      return { output: { id: body.data?.id } };
    }
    case 'http': {
      const p = PARAMS.http.parse(raw);
      const { rows } = await db.query<{ url: string; secret: string }>(`select url, secret from webhook_subscriptions where org_id = $1 and id = $2`, [
        m.orgId,
        p.webhook,
      ]);
      if (!rows[0]) throw new PermanentStepError(`http step: no webhook ${p.webhook} in the org`);
      // Signed like a change webhook; its webhook-id is the step's, the same on every retry.
      const sent = await postSigned({
        url: rows[0].url,
        secret: await openSecret(readVars(env).SECRETS_KEY, m.orgId, p.webhook, rows[0].secret),
        webhookId: idempotencyKey,
        payload: { type: 'workflow.step', timestamp: new Date().toISOString(), data: { run: m.runId, step: m.step, trigger: run.trigger, body: p.body ?? {} } },
      });
      if (!sent.ok) throw new Error(`http step: ${sent.error}`);
      return { output: { status: sent.status } };
    }
  }
}

/** A call of the API as the run's creator, with the step's Idempotency-Key; a 4xx is permanent. */
async function callApi(
  env: AppEnv,
  db: Db,
  api: Api,
  m: StepMessage,
  run: RunRow,
  method: string,
  path: string,
  body: unknown,
  idempotencyKey: string,
): Promise<{ data?: Record<string, unknown> }> {
  const { rows } = await db.query<{ role: string }>(`select role from users where org_id = $1 and id = $2 and is_active`, [m.orgId, run.createdBy]);
  if (!rows[0]) throw new PermanentStepError('the workflow’s creator is no longer an active user of the org');
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({ sub: run.createdBy, org: m.orgId, role: rows[0].role, iat: now, exp: now + 300 }, readVars(env).JWT_SECRET, 'HS256');
  const res = await api(
    new Request(`https://workflows.internal${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': idempotencyKey,
        [DEPTH_HEADER]: String((Number(run.trigger.depth) || 0) + 1),
      },
      body: JSON.stringify(body),
    }),
  );
  const answer = (await res.json().catch(() => ({}))) as { data?: Record<string, unknown>; detail?: string };
  if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 429)
    throw new PermanentStepError(`${method} ${path}: ${res.status} ${answer.detail ?? ''}`.trim());
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return answer;
}

/**
 * Cron (every 15 minutes): starts a run of each active scheduled workflow that is due. The
 * statement that picks them also moves their `last_scheduled_at`, so two overlapping crons never
 * start the same workflow twice. Housekeeping across orgs: each run names its workflow's org.
 */
export async function fireScheduledWorkflows(env: AppEnv, db: Db, now: Date): Promise<number> {
  const { rows } = await db.query<{ id: string; orgId: string; steps: StepSpec[]; createdBy: string | null }>(
    `update workflows set last_scheduled_at = $1
     where active and trigger->>'type' = 'schedule'
       and (last_scheduled_at is null or last_scheduled_at + make_interval(mins => (trigger->>'everyMinutes')::int) <= $1)
     returning id, org_id as "orgId", steps, created_by as "createdBy"`,
    [now.toISOString()],
  );
  for (const w of rows) if (w.createdBy) await startRun(env, db, w, { type: 'schedule', at: now.toISOString() }, w.createdBy);
  return rows.length;
}
