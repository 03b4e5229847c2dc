import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { JOB_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import { jsonBody } from '../../http/body';
import type { AppContext } from '../../http/context';
import { idempotency } from '../../http/idempotency';
import { createRouter, dataResponse, errorResponses } from '../../http/openapi';
import { startRun } from './engine';
import { planSteps, QUEUE_OF, STEP_CLASS, StepSpec, TriggerSpec } from './spec';

const IdParam = z.object({ id: z.guid().openapi({ description: 'Workflow id' }) });

const WorkflowBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    trigger: TriggerSpec.default({ type: 'manual' }),
    active: z.boolean().default(true),
    steps: z.array(StepSpec).min(1).max(50),
  })
  .openapi('WorkflowBody');

const WorkflowPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    trigger: TriggerSpec.optional(),
    active: z.boolean().optional(),
    steps: z.array(StepSpec).min(1).max(50).optional(),
  })
  .openapi('WorkflowPatch');

const Workflow = z
  .object({
    id: z.string(),
    name: z.string(),
    trigger: TriggerSpec,
    active: z.boolean(),
    steps: z.array(StepSpec),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Workflow');

const PlanStep = z.object({ key: z.string(), action: z.string(), class: z.enum(['io', 'cpu', 'mixed']), queue: z.string(), dependsOn: z.array(z.string()) });
const Plan = z
  .object({ stages: z.array(z.array(PlanStep)).openapi({ description: 'Steps by depth: a stage runs in parallel once the stages before it succeeded' }) })
  .openapi('WorkflowPlan');

const StepRun = z.object({
  key: z.string(),
  class: z.enum(['io', 'cpu', 'mixed']),
  queue: z.string(),
  status: z.enum(JOB_STATUSES),
  attempts: z.int(),
  dependsOn: z.array(z.string()),
  output: z.unknown(),
  error: z.string().nullable(),
  enqueuedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const WorkflowRun = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    status: z.enum(JOB_STATUSES),
    trigger: z.record(z.string(), z.unknown()),
    error: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    steps: z.array(StepRun),
  })
  .openapi('WorkflowRun');

/** Workflows act on the org's records as their creator: admins and managers make and run them. */
function canManage(c: Context<AppContext>): void {
  if (c.var.auth.role === 'member') throw new AppError('forbidden', 'Only admins and managers manage and run workflows.');
}

const WORKFLOW_SQL = `select id, name, trigger, active, steps, created_at as "createdAt", updated_at as "updatedAt" from workflows where org_id = $1 and id = $2`;
type WorkflowRow = z.infer<typeof Workflow>;

async function workflowOf(c: Context<AppContext>, id: string): Promise<WorkflowRow> {
  const { rows } = await c.var.services.db.query<WorkflowRow>(WORKFLOW_SQL, [c.var.auth.orgId, id.toLowerCase()]);
  if (!rows[0]) throw new AppError('not_found', 'No such workflow.');
  return rows[0];
}

const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());
const render = (w: WorkflowRow): WorkflowRow => ({ ...w, createdAt: iso(w.createdAt) as string, updatedAt: iso(w.updatedAt) as string });

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const tags = ['workflows'];

export const workflowRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/workflows',
      tags,
      summary: 'Create a workflow',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { body: json(WorkflowBody) },
      responses: { 201: dataResponse(Workflow, 'The workflow'), ...errorResponses },
    }),
    async (c) => {
      canManage(c);
      const body = c.req.valid('json');
      planSteps(body.steps);
      const { rows } = await c.var.services.db.query<{ id: string }>(
        `insert into workflows (org_id, name, trigger, active, steps, created_by) values ($1, $2, $3::jsonb, $4, $5::jsonb, $6) returning id`,
        [c.var.auth.orgId, body.name, JSON.stringify(body.trigger), body.active, JSON.stringify(body.steps), c.var.auth.userId],
      );
      c.header('Location', `/v1/workflows/${rows[0].id}`);
      return c.json({ data: render(await workflowOf(c, rows[0].id)) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/workflows',
      tags,
      summary: 'The org’s workflows, newest first (at most 200)',
      middleware: [requireAuth()] as const,
      responses: { 200: { description: 'Workflows', content: { 'application/json': { schema: z.object({ data: z.array(Workflow) }) } } }, ...errorResponses },
    }),
    async (c) => {
      const { rows } = await c.var.services.db.query<WorkflowRow>(
        `select id, name, trigger, active, steps, created_at as "createdAt", updated_at as "updatedAt" from workflows where org_id = $1 order by created_at desc, id desc limit 200`,
        [c.var.auth.orgId],
      );
      return c.json({ data: rows.map(render) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/workflows/{id}',
      tags,
      summary: 'A workflow',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 200: dataResponse(Workflow, 'The workflow'), ...errorResponses },
    }),
    async (c) => c.json({ data: render(await workflowOf(c, c.req.valid('param').id)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/workflows/{id}',
      tags,
      summary: 'Change a workflow (runs already started keep their steps)',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { params: IdParam, body: json(WorkflowPatch) },
      responses: { 200: dataResponse(Workflow, 'The workflow'), ...errorResponses },
    }),
    async (c) => {
      const current = await workflowOf(c, c.req.valid('param').id);
      canManage(c);
      const patch = c.req.valid('json');
      if (patch.steps) planSteps(patch.steps);
      const next = { ...current, ...patch };
      await c.var.services.db.query(
        `update workflows set name = $3, trigger = $4::jsonb, active = $5, steps = $6::jsonb, updated_at = now() where org_id = $1 and id = $2`,
        [c.var.auth.orgId, current.id, next.name, JSON.stringify(next.trigger), next.active, JSON.stringify(next.steps)],
      );
      return c.json({ data: render(await workflowOf(c, current.id)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/workflows/{id}',
      tags,
      summary: 'Delete a workflow and its runs',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const current = await workflowOf(c, c.req.valid('param').id);
      canManage(c);
      await c.var.services.db.query(`delete from workflows where org_id = $1 and id = $2`, [c.var.auth.orgId, current.id]);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/workflows/{id}/plan',
      tags,
      summary: 'The stages a run goes through, with each step’s class and queue',
      middleware: [requireAuth()] as const,
      request: { params: IdParam },
      responses: { 200: dataResponse(Plan, 'The plan'), ...errorResponses },
    }),
    async (c) => {
      const w = await workflowOf(c, c.req.valid('param').id);
      const stages = planSteps(w.steps).map((stage) =>
        stage.map((s) => ({ key: s.key, action: s.action, class: STEP_CLASS[s.action], queue: QUEUE_OF[STEP_CLASS[s.action]], dependsOn: s.dependsOn })),
      );
      return c.json({ data: { stages } }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/workflows/{id}/run',
      tags,
      summary: 'Start a run (202): its first stage is enqueued at once',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: {
        params: IdParam,
        body: json(z.strictObject({ input: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'Values steps read as `$trigger.<name>`' }) })),
      },
      responses: { 202: dataResponse(WorkflowRun, 'The run, started'), ...errorResponses },
    }),
    async (c) => {
      const w = await workflowOf(c, c.req.valid('param').id);
      canManage(c);
      const { input } = c.req.valid('json');
      const runId = await startRun(
        c.env,
        c.var.services.db,
        { id: w.id, orgId: c.var.auth.orgId, steps: w.steps },
        { type: 'manual', ...input },
        c.var.auth.userId,
      );
      return c.json({ data: await runOf(c, runId) }, 202);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/workflow-runs/{id}',
      tags,
      summary: 'A run: its status and each step’s status, attempts, output and error',
      middleware: [requireAuth()] as const,
      request: { params: z.object({ id: z.guid() }) },
      responses: { 200: dataResponse(WorkflowRun, 'The run'), ...errorResponses },
    }),
    async (c) => c.json({ data: await runOf(c, c.req.valid('param').id) }, 200),
  );

async function runOf(c: Context<AppContext>, id: string): Promise<z.infer<typeof WorkflowRun>> {
  const db = c.var.services.db;
  const [run, steps] = await Promise.all([
    db.query<{
      id: string;
      workflowId: string;
      status: string;
      trigger: Record<string, unknown>;
      error: string | null;
      startedAt: string | null;
      finishedAt: string | null;
    }>(
      `select id, workflow_id as "workflowId", status, trigger, error, started_at as "startedAt", finished_at as "finishedAt" from workflow_runs where org_id = $1 and id = $2`,
      [c.var.auth.orgId, id.toLowerCase()],
    ),
    db.query<Record<string, unknown>>(
      `select step_key as key, step_class as class, queue, status, attempts, depends_on as "dependsOn", output, error,
         enqueued_at as "enqueuedAt", started_at as "startedAt", finished_at as "finishedAt"
       from workflow_step_runs where org_id = $1 and run_id = $2 order by enqueued_at nulls last, step_key`,
      [c.var.auth.orgId, id.toLowerCase()],
    ),
  ]);
  const r = run.rows[0];
  if (!r) throw new AppError('not_found', 'No such workflow run.');
  return {
    ...r,
    status: r.status as z.infer<typeof WorkflowRun>['status'],
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    steps: steps.rows.map((s) => ({
      ...(s as unknown as z.infer<typeof StepRun>),
      enqueuedAt: iso(s.enqueuedAt),
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
    })),
  };
}
