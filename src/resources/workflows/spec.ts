import { z } from '@hono/zod-openapi';
import { ACTIVITY_TYPES } from '../../core/enums';
import { AppError } from '../../core/errors';

/**
 * A workflow's steps (decision 0049): each runs one built-in action with its params once the
 * steps it depends on have succeeded. Params may name earlier outputs or the trigger's values:
 * a string that is exactly `$steps.<key>.<path>` or `$trigger.<path>` is replaced by that value
 * when the step runs.
 */

export const ACTIONS = ['update_field', 'create_activity', 'http', 'wait', 'compute'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Where each action runs: `io` waits on the network (a receiver, a timer), `cpu` computes,
 * `mixed` writes through the API (Postgres round trips and validation). Each class has its own
 * queue with its own batch size, retries and dead-letter queue (wrangler.toml).
 */
export const STEP_CLASS: Record<Action, 'io' | 'cpu' | 'mixed'> = {
  http: 'io',
  wait: 'io',
  compute: 'cpu',
  update_field: 'mixed',
  create_activity: 'mixed',
};

export const QUEUE_OF = { io: 'crm-workflow-io', cpu: 'crm-workflow-cpu', mixed: 'crm-workflow-default' } as const;

const Ref = z.string().max(500);
const Value = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);

/** Each action's params: strict, so a typo is a 400 naming it. */
export const PARAMS = {
  update_field: z.strictObject({
    resource: z.enum(['contacts', 'companies', 'leads', 'deals', 'activities']),
    id: Ref.openapi({ description: 'The record: an id, or `$trigger.id`' }),
    field: z.string().max(63),
    value: Value,
  }),
  create_activity: z.strictObject({
    type: z.enum(ACTIVITY_TYPES),
    subject: z.string().max(500),
    contact_id: Ref.optional(),
    deal_id: Ref.optional(),
    due_at: z.string().max(40).optional(),
  }),
  http: z.strictObject({
    webhook: z.guid().openapi({ description: 'A subscription of /v1/webhooks: its URL receives the call, signed with its secret' }),
    body: z.record(z.string(), z.unknown()).optional(),
  }),
  wait: z.strictObject({ seconds: z.int().min(1).max(86_400) }),
  compute: z.strictObject({
    op: z.enum(['sum', 'concat', 'upper', 'lower', 'round']),
    args: z.array(Value).min(1).max(20),
  }),
} satisfies Record<Action, z.ZodType>;

export const StepSpec = z
  .strictObject({
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/)
      .openapi({ description: 'Unique in the workflow: letters, digits and _' }),
    action: z.enum(ACTIONS),
    params: z.record(z.string(), z.unknown()).default({}),
    dependsOn: z.array(z.string()).max(20).default([]),
  })
  .openapi('WorkflowStep');
export type StepSpec = z.infer<typeof StepSpec>;

export const TriggerSpec = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('manual') }),
    z.strictObject({
      type: z.literal('record'),
      event: z.string().regex(/^(contact|company|lead|deal|activity)\.(created|updated|deleted|restored)$|^deal\.stage_changed$/),
    }),
    z.strictObject({ type: z.literal('schedule'), everyMinutes: z.int().min(15).max(10_080) }),
  ])
  .openapi('WorkflowTrigger');

/**
 * Checks a workflow's steps: params valid for their action, keys unique, dependencies known and
 * acyclic. Returns the stages: steps grouped by depth, each stage runnable in parallel once the
 * ones before it are done.
 */
export function planSteps(steps: readonly StepSpec[]): StepSpec[][] {
  const byKey = new Map<string, StepSpec>();
  steps.forEach((s, i) => {
    if (byKey.has(s.key)) throw invalid(`steps[${i}].key`, `"${s.key}" is used twice`);
    byKey.set(s.key, s);
    const parsed = PARAMS[s.action].safeParse(s.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`steps[${i}].params${issue.path.length ? `.${issue.path.join('.')}` : ''}`, issue.message);
    }
  });
  steps.forEach((s, i) => {
    for (const d of s.dependsOn) if (!byKey.has(d) || d === s.key) throw invalid(`steps[${i}].dependsOn`, `"${d}" is not another step of this workflow`);
  });
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (s: StepSpec): number => {
    const known = depth.get(s.key);
    if (known !== undefined) return known;
    if (visiting.has(s.key)) throw invalid('steps', `a cycle goes through "${s.key}"`);
    visiting.add(s.key);
    const d = s.dependsOn.length ? 1 + Math.max(...s.dependsOn.map((k) => depthOf(byKey.get(k) as StepSpec))) : 0;
    visiting.delete(s.key);
    depth.set(s.key, d);
    return d;
  };
  const stages: StepSpec[][] = [];
  for (const s of steps) {
    const d = depthOf(s);
    stages[d] = [...(stages[d] ?? []), s];
  }
  return stages;
}

function invalid(path: string, message: string): AppError {
  return new AppError('invalid_body', `${path}: ${message}.`, [{ path, message }]);
}

/** Replaces `$steps.<key>.<path>` and `$trigger.<path>` strings by their values, anywhere in `params`. */
export function resolveRefs(params: unknown, scope: { steps: Record<string, unknown>; trigger: unknown }): unknown {
  if (typeof params === 'string') {
    const m = /^\$(steps|trigger)\.([A-Za-z0-9_.]+)$/.exec(params);
    if (!m) return params;
    let at: unknown = m[1] === 'steps' ? scope.steps : scope.trigger;
    for (const part of m[2].split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
    return at ?? null;
  }
  if (Array.isArray(params)) return params.map((p) => resolveRefs(p, scope));
  if (params && typeof params === 'object') return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, resolveRefs(v, scope)]));
  return params;
}

/** The `compute` action: a few total functions over resolved arguments. */
export function compute(op: z.infer<(typeof PARAMS)['compute']>['op'], args: unknown[]): unknown {
  switch (op) {
    case 'sum':
      return args.reduce((a: number, b) => a + (Number(b) || 0), 0);
    case 'concat':
      return args.map((a) => (a === null || a === undefined ? '' : String(a))).join('');
    case 'upper':
      return String(args[0] ?? '').toUpperCase();
    case 'lower':
      return String(args[0] ?? '').toLowerCase();
    case 'round':
      return Math.round(Number(args[0]) || 0);
  }
}
