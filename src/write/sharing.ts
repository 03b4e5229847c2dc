import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { type PRINCIPAL_TYPES, USER_ROLES } from '../core/enums';
import { AppError, type FieldError } from '../core/errors';
import { sharingRules } from '../db/schema/sharing';
import { teams } from '../db/schema/teams';
import { users } from '../db/schema/users';
import type { ResourceDef } from '../query/resource';
import type { ObjectType } from '../sharing/types';
import { type AuditEntry, diff, type RowJson } from './audit';
import type { Orm } from './orm';
import { write } from './records';
import { checkCriteria } from './sharing-criteria';
import type { WriteContext, WriteResult } from './types';

/**
 * The sharing admin API's writes (DESIGN §7), and what they share: sharing rules here, admins
 * only; org-wide defaults in sharing-settings.ts, manual shares in record-shares.ts, the check of
 * a criteria rule's tree in sharing-criteria.ts. Each change is one `write` frame: its statements
 * and audit row in one transaction, then the generation bump, whose `touched` (`sharing_rules`,
 * `sharing_settings`) raises the org's sharing version.
 */

type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/**
 * What the audit trail and the generation bump need of a sharing table: a name and no fields
 * (the diff names columns as they are). Not a resource of the catalog: nothing lists it.
 */
export const auditTarget = (name: string): ResourceDef => ({
  name,
  table: name,
  alias: name,
  fields: {},
  defaultOrder: [],
  softDelete: false,
  relations: {},
});

const RULES = auditTarget('sharing_rules');

/** A timestamptz as ISO 8601 UTC with microseconds, as every answer renders them (query/params.ts isoSql). */
export const iso = (c: PgColumn): SQL<string> => sql<string>`to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function requireAdmin(ctx: WriteContext, what: string): void {
  if (ctx.auth.role !== 'admin') throw new AppError('forbidden', `Only admins may change ${what}.`);
}

export interface RuleInput {
  name: string;
  object_type: ObjectType;
  kind: 'owner' | 'criteria';
  source_type: PrincipalType | null;
  source_id: string | null;
  criteria: unknown;
  target_type: PrincipalType;
  target_id: string;
  access: 'read' | 'edit';
  is_active: boolean;
}

export const ruleColumns = {
  id: sharingRules.id,
  name: sharingRules.name,
  object_type: sharingRules.objectType,
  kind: sharingRules.kind,
  source_type: sharingRules.sourceType,
  source_id: sharingRules.sourceId,
  criteria: sharingRules.criteria,
  target_type: sharingRules.targetType,
  target_id: sharingRules.targetId,
  access: sharingRules.access,
  is_active: sharingRules.isActive,
  created_at: iso(sharingRules.createdAt),
  updated_at: iso(sharingRules.updatedAt),
};

export type RuleRow = RuleInput & { id: string; created_at: string; updated_at: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A rule's shape: an owner rule names whose records (source) and has no criteria; a criteria
 * rule has criteria and no source. Principal ids are a UUID (user, team) or a role's name.
 * Ids come back lowercased, as they are stored and compared.
 */
function checkShape(rule: RuleInput): RuleInput {
  const errors: FieldError[] = [];
  if (rule.kind === 'owner') {
    if (rule.source_type == null) errors.push({ path: 'source_type', message: 'required for an owner rule' });
    if (rule.source_id == null) errors.push({ path: 'source_id', message: 'required for an owner rule' });
    if (rule.criteria != null) errors.push({ path: 'criteria', message: 'not allowed on an owner rule (it is for criteria rules)' });
  } else {
    if (rule.criteria == null) errors.push({ path: 'criteria', message: 'required for a criteria rule' });
    if (rule.source_type != null) errors.push({ path: 'source_type', message: 'not allowed on a criteria rule (it is for owner rules)' });
    if (rule.source_id != null) errors.push({ path: 'source_id', message: 'not allowed on a criteria rule (it is for owner rules)' });
  }
  const principal = (type: PrincipalType | null, id: string | null, path: string): string | null => {
    if (type == null || id == null) return id;
    if (type === 'role') {
      if (!(USER_ROLES as readonly string[]).includes(id)) errors.push({ path, message: `a role: ${USER_ROLES.join(', ')}` });
      return id;
    }
    if (!UUID.test(id)) errors.push({ path, message: `the id (UUID) of a ${type} of the org` });
    return id.toLowerCase();
  };
  const out = {
    ...rule,
    source_id: principal(rule.source_type, rule.source_id, 'source_id'),
    target_id: principal(rule.target_type, rule.target_id, 'target_id') as string,
  };
  if (errors.length) throw new AppError('invalid_body', `The rule is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
  return out;
}

/**
 * Users and teams a rule names must be live in the caller's org (an active user; a team): a 422
 * `reference_in_org` naming the field otherwise. Their rows are held against deletion until
 * the commit; the checks share a round trip.
 */
async function checkPrincipals(db: Orm, ctx: WriteContext, refs: Array<{ type: PrincipalType | null; id: string | null; path: string }>): Promise<void> {
  const wanted = (type: PrincipalType) => refs.filter((r): r is { type: PrincipalType; id: string; path: string } => r.type === type && r.id !== null);
  const [userRefs, teamRefs] = [wanted('user'), wanted('team')];
  const [foundUsers, foundTeams] = await Promise.all([
    userRefs.length
      ? db
          .select({ id: users.id })
          .from(users)
          .where(
            and(
              eq(users.orgId, ctx.auth.orgId),
              inArray(
                users.id,
                userRefs.map((r) => r.id),
              ),
              eq(users.isActive, true),
            ),
          )
          .for('key share')
      : [],
    teamRefs.length
      ? db
          .select({ id: teams.id })
          .from(teams)
          .where(
            and(
              eq(teams.orgId, ctx.auth.orgId),
              inArray(
                teams.id,
                teamRefs.map((r) => r.id),
              ),
            ),
          )
          .for('key share')
      : [],
  ]);
  const ok = new Set([...foundUsers, ...foundTeams].map((r) => String(r.id)));
  const errors = [...userRefs, ...teamRefs].filter((r) => !ok.has(r.id)).map((r) => ({ path: r.path, message: `no such ${r.type} in this org` }));
  if (errors.length) throw new AppError('constraint_violation', 'A referenced user or team does not exist in this org.', errors, undefined, 'reference_in_org');
}

/** Column names as stored → Drizzle keys: `to_jsonb` rows for the audit diff. */
const ruleJson = sql<RowJson>`to_jsonb(${sharingRules})`;

function ruleValues(rule: RuleInput) {
  return {
    name: rule.name,
    objectType: rule.object_type,
    kind: rule.kind,
    sourceType: rule.source_type,
    sourceId: rule.source_id,
    criteria: rule.criteria ?? null,
    targetType: rule.target_type,
    targetId: rule.target_id,
    access: rule.access,
    isActive: rule.is_active,
  };
}

/** Validates a whole rule (shape, criteria), outside any transaction: no statement is sent for a refusal. */
function validRule(ctx: WriteContext, rule: RuleInput): RuleInput {
  const checked = checkShape(rule);
  if (checked.kind === 'criteria') checkCriteria(ctx.catalog, checked.object_type, checked.criteria);
  return checked;
}

export async function createRule(ctx: WriteContext, input: RuleInput): Promise<WriteResult> {
  requireAdmin(ctx, 'sharing rules');
  const rule = validRule(ctx, input);
  return write(
    ctx,
    RULES,
    async (db, audit) => {
      await checkPrincipals(db, ctx, [
        { type: rule.source_type, id: rule.source_id, path: 'source_id' },
        { type: rule.target_type, id: rule.target_id, path: 'target_id' },
      ]);
      const [{ row }] = await db
        .insert(sharingRules)
        .values({ ...ruleValues(rule), orgId: ctx.auth.orgId })
        .returning({ row: ruleJson });
      audit.push(ruleAudit('create', null, row));
      return [String(row.id)];
    },
    [RULES.name],
  );
}

/**
 * A PATCH: the stored rule with the body's fields over it, validated whole (a kind change must
 * bring its source or criteria, and clear the other's with null). Only the users and teams the
 * body names again are checked, so a rule whose source has since left still takes a rename.
 */
export async function updateRule(ctx: WriteContext, id: string, patch: Partial<RuleInput>): Promise<WriteResult> {
  requireAdmin(ctx, 'sharing rules');
  if (!Object.keys(patch).length)
    throw new AppError('invalid_body', 'An update must change at least one field.', [{ path: '(root)', message: 'empty update' }]);
  return write(
    ctx,
    RULES,
    async (db, audit) => {
      const org = and(eq(sharingRules.orgId, ctx.auth.orgId), eq(sharingRules.id, id));
      const [stored] = await db.select({ rule: ruleColumns, row: ruleJson }).from(sharingRules).where(org).for('update');
      if (!stored) throw new AppError('not_found', 'No such sharing rule.');
      const merged = { ...(stored.rule as RuleInput), ...patch };
      const rule = validRule(ctx, merged);
      const touches = (type: keyof RuleInput, ref: keyof RuleInput) => patch[type] !== undefined || patch[ref] !== undefined;
      await checkPrincipals(db, ctx, [
        ...(touches('source_type', 'source_id') ? [{ type: rule.source_type, id: rule.source_id, path: 'source_id' }] : []),
        ...(touches('target_type', 'target_id') ? [{ type: rule.target_type, id: rule.target_id, path: 'target_id' }] : []),
      ]);
      const [{ row }] = await db
        .update(sharingRules)
        .set({ ...ruleValues(rule), updatedAt: sql`clock_timestamp()` })
        .where(org)
        .returning({ row: ruleJson });
      const entry = ruleAudit('update', stored.row, row);
      // Setting what was already there changes nothing worth a trail entry (nor a new version).
      if (Object.keys(entry.changes ?? {}).length) audit.push(entry);
      return [id];
    },
    [RULES.name],
  );
}

export async function deleteRule(ctx: WriteContext, id: string): Promise<WriteResult> {
  requireAdmin(ctx, 'sharing rules');
  return write(
    ctx,
    RULES,
    async (db, audit) => {
      const rows = await db
        .delete(sharingRules)
        .where(and(eq(sharingRules.orgId, ctx.auth.orgId), eq(sharingRules.id, id)))
        .returning({ row: ruleJson });
      if (!rows.length) throw new AppError('not_found', 'No such sharing rule.');
      audit.push(ruleAudit('hard_delete', rows[0].row, null));
      return [id];
    },
    [RULES.name],
  );
}

function ruleAudit(action: AuditEntry['action'], before: RowJson | null, after: RowJson | null): AuditEntry {
  return { action, objectType: RULES.name, objectId: String((after ?? before)?.id), changes: diff(RULES, before, after) };
}
