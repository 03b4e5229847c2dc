import { and, eq, inArray, notInArray, or, sql } from 'drizzle-orm';
import { AppError, type FieldError } from '../core/errors';
import { pipelineStages } from '../db/schema/pipeline-stages';
import { pipelines } from '../db/schema/pipelines';
import { users } from '../db/schema/users';
import type { Orm } from './orm';
import type { RuleInput } from './types';

/**
 * The seeds' business rules that a constraint alone cannot express, run inside the write's
 * transaction after its rows are locked:
 * - deals take their pipeline, probability, status and closed_at from their stage;
 * - making a pipeline the default takes the flag from the old default in the same transaction;
 *   such writes of one org take turns, and the unique index guarantees one default regardless
 *   (a batch naming two defaults is its 409).
 */
export interface Rule {
  /** Before the write's own rows are locked: for a lock that must come first, or writers could deadlock. */
  beforeLock?(input: Pick<RuleInput, 'ctx' | 'db' | 'changes'>): Promise<void>;
  beforeWrite(input: RuleInput): Promise<void>;
}

const clock = sql`clock_timestamp()`;

interface Stage {
  id: string;
  pipelineId: string;
  probability: number;
  isWon: boolean;
  isLost: boolean;
  position: number;
  isDefault: boolean;
}

const deals: Rule = {
  async beforeWrite({ ctx, db, changes, before }) {
    const moving = changes.filter((c) => !c.id || c.values.stage_id !== undefined || c.values.pipeline_id !== undefined);
    if (!moving.length) return;
    const stageIds = moving.flatMap((c) => (typeof c.values.stage_id === 'string' ? [c.values.stage_id] : []));
    const pipelineIds = moving.flatMap((c) => {
      const p = c.values.pipeline_id ?? (c.id ? before.get(c.id)?.row.pipeline_id : undefined);
      return typeof p === 'string' ? [p] : [];
    });
    // Every stage of the pipelines involved and of the default one: a handful of rows.
    const rows: Stage[] = await db
      .select({
        id: pipelineStages.id,
        pipelineId: pipelineStages.pipelineId,
        probability: pipelineStages.probability,
        isWon: pipelineStages.isWon,
        isLost: pipelineStages.isLost,
        position: pipelineStages.position,
        isDefault: pipelines.isDefault,
      })
      .from(pipelineStages)
      .innerJoin(pipelines, eq(pipelines.id, pipelineStages.pipelineId))
      .where(
        and(
          eq(pipelineStages.orgId, ctx.auth.orgId),
          or(
            stageIds.length ? inArray(pipelineStages.id, stageIds) : undefined,
            pipelineIds.length ? inArray(pipelineStages.pipelineId, pipelineIds) : undefined,
            eq(pipelines.isDefault, true),
          ),
        ),
      );
    const byId = new Map(rows.map((s) => [s.id, s]));
    const firstOf = (pipeline: string) => rows.filter((s) => s.pipelineId === pipeline).sort((a, b) => a.position - b.position)[0];
    const errors: FieldError[] = [];
    for (const c of moving) {
      const was = c.id ? before.get(c.id)?.row : undefined;
      const given = typeof c.values.stage_id === 'string' ? byId.get(c.values.stage_id) : undefined;
      const pipeline =
        (c.values.pipeline_id as string | undefined) ??
        given?.pipelineId ??
        (was?.pipeline_id as string | undefined) ??
        rows.find((s) => s.isDefault)?.pipelineId;
      if (!pipeline) {
        errors.push({ path: `${c.path}pipeline_id`, message: 'required: this org has no default pipeline' });
        continue;
      }
      const movedPipeline = was !== undefined && pipeline !== was.pipeline_id;
      const stage = given ?? (was && !movedPipeline ? byId.get(String(was.stage_id)) : undefined) ?? (was ? undefined : firstOf(pipeline));
      if (!stage) {
        errors.push({ path: `${c.path}stage_id`, message: movedPipeline ? 'required when moving to another pipeline' : 'the pipeline has no stages' });
        continue;
      }
      if (stage.pipelineId !== pipeline) {
        errors.push({ path: `${c.path}stage_id`, message: 'the stage belongs to another pipeline' });
        continue;
      }
      const stageChanged = !was || stage.id !== was.stage_id;
      c.values.pipeline_id = pipeline;
      c.values.stage_id = stage.id;
      if (!stageChanged) continue;
      if (c.values.probability === undefined) c.values.probability = stage.probability;
      const status = stage.isWon ? 'won' : stage.isLost ? 'lost' : 'open';
      c.values.status = status;
      // Closed when it reaches the won or lost stage; reopened (no closed_at) when it leaves.
      c.values.closed_at = status === 'open' ? null : was?.status === status ? was.closed_at : clock;
    }
    if (errors.length) throw new AppError('constraint_violation', 'A deal stage must belong to its pipeline.', errors, undefined, 'stage_in_pipeline');
  },
};

const pipelinesRule: Rule = {
  // Default changes of one org take turns (a transaction-scoped lock per org, taken before any
  // pipeline row), so the second of two concurrent "make default" writes sees the first's
  // default and demotes it, instead of tripping over it in the unique index. Nothing else waits.
  async beforeLock({ ctx, db, changes }) {
    if (!changes.some((c) => c.values.is_default === true)) return;
    await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pipelines.default:${ctx.auth.orgId}`}, 0))`);
  },
  async beforeWrite({ ctx, db, changes, audit }) {
    if (!changes.some((c) => c.values.is_default === true)) return;
    const keep = changes.filter((c) => c.id && c.values.is_default === true).map((c) => c.id as string);
    const demoted = await db
      .update(pipelines)
      .set({ isDefault: false, updatedAt: clock })
      .where(and(eq(pipelines.orgId, ctx.auth.orgId), eq(pipelines.isDefault, true), keep.length ? notInArray(pipelines.id, keep) : undefined))
      .returning({ id: pipelines.id });
    for (const { id } of demoted) audit.push({ action: 'update', objectType: 'pipelines', objectId: id, changes: { is_default: { from: true, to: false } } });
  },
};

/** Whether a change takes admin rights away: a role other than admin, or deactivation. */
const demotes = (values: Record<string, unknown>) => (values.role !== undefined && values.role !== 'admin') || values.is_active === false;

/**
 * An org keeps at least one active admin: otherwise nobody could manage its users, teams or
 * sharing again. Changes to admin rights in one org take turns (a transaction lock), so two
 * admins demoting each other at once cannot both succeed.
 */
export async function keepAnAdmin(db: Orm, orgId: string, leaving: readonly string[]): Promise<void> {
  if (!leaving.length) return;
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`users.admins:${orgId}`}, 0))`);
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, 'admin'), eq(users.isActive, true), notInArray(users.id, [...leaving])));
  if (Number(row.n) === 0)
    throw new AppError(
      'constraint_violation',
      'An org keeps at least one active admin.',
      [{ path: 'role', message: 'the last active admin' }],
      undefined,
      'org_keeps_an_admin',
    );
}

const usersRule: Rule = {
  async beforeLock({ ctx, db, changes }) {
    await keepAnAdmin(
      db,
      ctx.auth.orgId,
      changes.filter((c) => c.id && demotes(c.values)).map((c) => c.id as string),
    );
  },
  async beforeWrite() {},
};

const RULES: Record<string, Rule> = { deals, pipelines: pipelinesRule, users: usersRule };

export function ruleFor(resource: string): Rule | undefined {
  return Object.hasOwn(RULES, resource) ? RULES[resource] : undefined;
}
