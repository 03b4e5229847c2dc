// The small per-org tables: orgs, teams, users, pipelines and stages, tags, sharing
// settings. Rows are built in TypeScript and shipped as one JSON literal per table; ids
// still come from the SQL id function so big tables can reference them by number.
import { idOf, type SeedCtx } from './context';
import { ANCHOR } from './plan';
import type { Statement } from './runner';
import { lit } from './sql-rand';
import { buildUsers } from './users-plan';
import { TAG_COLORS, TAG_NAMES, TEAM_NAMES } from './vocab-business';

const OBJECT_TYPES = ['contact', 'company', 'lead', 'deal', 'activity'] as const;
/** The demo org starts private for the record types a sales team guards. */
const DEMO_PRIVATE = new Set(['contact', 'deal', 'lead']);

/** INSERT … SELECT from a JSON array literal; `cols` maps record fields to SQL types. */
export function fromJson(table: string, rows: object[], cols: Record<string, string>, select: string): Statement {
  const def = Object.entries(cols)
    .map(([k, t]) => `${k} ${t}`)
    .join(', ');
  return { table, sql: `${select} FROM json_to_recordset(${lit(JSON.stringify(rows))}::json) AS x(${def})` };
}

function daysBeforeAnchor(days: number): string {
  return new Date(Date.parse(ANCHOR) - days * 86400_000).toISOString();
}

function orgsStatement(ctx: SeedCtx): Statement {
  const rows = ctx.plan.orgs.map((o) => ({
    no: o.no,
    slug: o.slug,
    name: o.name,
    created: daysBeforeAnchor(1200 - o.no),
    settings: JSON.stringify({ currency: o.currency, timezone: o.no === 1 ? 'Europe/Berlin' : 'UTC' }),
  }));
  return fromJson(
    'orgs',
    rows,
    { no: 'int8', slug: 'text', name: 'text', settings: 'text', created: 'timestamptz' },
    `INSERT INTO orgs (id, slug, name, settings, created_at, updated_at)
     SELECT ${idOf(ctx, 'org', 'x.no')}, x.slug, x.name, x.settings::jsonb, x.created, x.created`,
  );
}

function teamsStatement(ctx: SeedCtx): Statement {
  const rows = ctx.plan.orgs.flatMap((o) => Array.from({ length: o.teams.count }, (_, t) => ({ no: o.teams.start + t, org: o.no, name: TEAM_NAMES[t] })));
  return fromJson(
    'teams',
    rows,
    { no: 'int8', org: 'int8', name: 'text' },
    `INSERT INTO teams (id, org_id, name, description, created_at, updated_at)
     SELECT ${idOf(ctx, 'team', 'x.no')}, ${idOf(ctx, 'org', 'x.org')}, x.name, x.name || ' team',
       ${lit(daysBeforeAnchor(1150))}::timestamptz, ${lit(daysBeforeAnchor(1150))}::timestamptz`,
  );
}

function usersStatement(ctx: SeedCtx): Statement {
  const cols = {
    no: 'int8',
    org: 'int8',
    email: 'text',
    name: 'text',
    role: 'text',
    manager: 'int8',
    team: 'int8',
    active: 'boolean',
    created: 'timestamptz',
  };
  return fromJson(
    'users',
    buildUsers(ctx.plan),
    cols,
    `INSERT INTO users (id, org_id, email, name, role, manager_id, team_id, is_active, created_at, updated_at)
     SELECT ${idOf(ctx, 'user', 'x.no')}, ${idOf(ctx, 'org', 'x.org')}, x.email, x.name, x.role,
       CASE WHEN x.manager IS NOT NULL THEN ${idOf(ctx, 'user', 'x.manager')} END,
       ${idOf(ctx, 'team', 'x.team')}, x.active, x.created, x.created`,
  );
}

function pipelineStatements(ctx: SeedCtx): Statement[] {
  const pipelines = ctx.plan.orgs.flatMap((o) => o.pipelines.map((p) => ({ ...p, org: o.no })));
  const stages = pipelines.flatMap((p) =>
    p.stages.map((s) => ({
      no: s.no,
      org: p.org,
      pipeline: p.no,
      name: s.name,
      position: s.position,
      probability: s.probability,
      won: !!s.won,
      lost: !!s.lost,
    })),
  );
  const created = `${lit(daysBeforeAnchor(1150))}::timestamptz`;
  return [
    fromJson(
      'pipelines',
      pipelines.map((p) => ({ no: p.no, org: p.org, name: p.name, dflt: p.isDefault })),
      { no: 'int8', org: 'int8', name: 'text', dflt: 'boolean' },
      `INSERT INTO pipelines (id, org_id, name, is_default, created_at, updated_at)
       SELECT ${idOf(ctx, 'pipeline', 'x.no')}, ${idOf(ctx, 'org', 'x.org')}, x.name, x.dflt, ${created}, ${created}`,
    ),
    fromJson(
      'pipeline_stages',
      stages,
      { no: 'int8', org: 'int8', pipeline: 'int8', name: 'text', position: 'int', probability: 'int', won: 'boolean', lost: 'boolean' },
      `INSERT INTO pipeline_stages (id, org_id, pipeline_id, name, position, probability, is_won, is_lost, created_at, updated_at)
       SELECT ${idOf(ctx, 'stage', 'x.no')}, ${idOf(ctx, 'org', 'x.org')}, ${idOf(ctx, 'pipeline', 'x.pipeline')},
         x.name, x.position, x.probability, x.won, x.lost, ${created}, ${created}`,
    ),
  ];
}

function tagsStatement(ctx: SeedCtx): Statement {
  // Each org uses a different window of the tag list, so names are unique within an org.
  const rows = ctx.plan.orgs.flatMap((o) =>
    Array.from({ length: o.tags.count }, (_, t) => ({
      no: o.tags.start + t,
      org: o.no,
      name: TAG_NAMES[(t + (o.no - 1) * 7) % TAG_NAMES.length],
      color: TAG_COLORS[(t + o.no) % TAG_COLORS.length],
    })),
  );
  return fromJson(
    'tags',
    rows,
    { no: 'int8', org: 'int8', name: 'text', color: 'text' },
    `INSERT INTO tags (id, org_id, name, color, created_at, updated_at)
     SELECT ${idOf(ctx, 'tag', 'x.no')}, ${idOf(ctx, 'org', 'x.org')}, x.name, x.color,
       ${lit(daysBeforeAnchor(1100))}::timestamptz, ${lit(daysBeforeAnchor(1100))}::timestamptz`,
  );
}

function sharingSettingsStatement(ctx: SeedCtx): Statement {
  const rows = ctx.plan.orgs.flatMap((o) =>
    OBJECT_TYPES.map((t) => ({
      org: o.no,
      type: t,
      access: o.no === 1 ? (DEMO_PRIVATE.has(t) ? 'private' : 'public_read') : 'public_read_write',
    })),
  );
  return fromJson(
    'sharing_settings',
    rows,
    { org: 'int8', type: 'text', access: 'text' },
    `INSERT INTO sharing_settings (org_id, object_type, default_access, grant_hierarchy, created_at, updated_at)
     SELECT ${idOf(ctx, 'org', 'x.org')}, x.type, x.access, true,
       ${lit(daysBeforeAnchor(1100))}::timestamptz, ${lit(daysBeforeAnchor(1100))}::timestamptz`,
  );
}

/** Core tables in foreign-key order (they run on one connection). */
export function coreStatements(ctx: SeedCtx): Statement[] {
  return [orgsStatement(ctx), teamsStatement(ctx), usersStatement(ctx), ...pipelineStatements(ctx), tagsStatement(ctx), sharingSettingsStatement(ctx)];
}
