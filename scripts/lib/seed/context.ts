// What every statement builder needs: the plan, the seeded draws and the time anchor.
import { ANCHOR, type OrgPlan, type SeedPlan } from './plan';
import { SqlRand } from './sql-rand';

export interface SeedCtx {
  plan: SeedPlan;
  r: SqlRand;
  /** The anchor as a SQL timestamptz literal. */
  anchor: string;
}

export function makeCtx(plan: SeedPlan): SeedCtx {
  return { plan, r: new SqlRand(plan.params.seed), anchor: `'${ANCHOR}'::timestamptz` };
}

/** Entity kinds that get deterministic ids; a kind is part of the hash, so ids never collide across tables. */
export type IdKind =
  | 'org'
  | 'team'
  | 'user'
  | 'pipeline'
  | 'stage'
  | 'tag'
  | 'contact'
  | 'company'
  | 'deal'
  | 'lead'
  | 'activity'
  | 'contact_address'
  | 'company_address'
  | 'relationship'
  | 'rule'
  | 'share';

export function idOf(ctx: SeedCtx, kind: IdKind, key: string | number): string {
  return ctx.r.uuid(kind, String(key));
}

export function orgIdOf(ctx: SeedCtx, org: OrgPlan): string {
  return idOf(ctx, 'org', org.no);
}

/** The org's admin (user 0): deleted_by of soft-deleted rows. */
export function adminIdOf(ctx: SeedCtx, org: OrgPlan): string {
  return idOf(ctx, 'user', org.users.start);
}
