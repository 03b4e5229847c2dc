// Sharing rules and manual shares in the demo org, so that under its private defaults a
// member sees a real subset from the first `npm run dev`: their own records, what rules
// grant their team or role, and a handful of records shared with them by hand.
import { adminIdOf, idOf, orgIdOf, type SeedCtx } from './context';
import { contactOwnerNo, dealOwnerNo, leadOwnerNo } from './derive';
import type { OrgPlan } from './plan';
import type { Statement } from './runner';
import { lit } from './sql-rand';

interface RuleDef {
  object: string;
  name: string;
  kind: 'owner' | 'criteria';
  source?: [type: 'role' | 'team', id: string];
  /** A `where` tree of the JSON dialect (src/query/parse-json.ts), as the admin API validates it. */
  criteria?: object;
  target: [type: 'role' | 'team' | 'user', id: string];
  access: 'read' | 'edit';
}

function demoRules(ctx: SeedCtx, org: OrgPlan): RuleDef[] {
  const team = (t: number) => `(${idOf(ctx, 'team', org.teams.start + Math.min(t, org.teams.count - 1))})::text`;
  return [
    {
      object: 'contact',
      name: 'Manager-owned contacts → Sales EMEA',
      kind: 'owner',
      source: ['role', lit('manager')],
      target: ['team', team(0)],
      access: 'read',
    },
    {
      object: 'contact',
      name: 'Customers → Sales Americas',
      kind: 'criteria',
      criteria: { field: 'lifecycle_stage', operator: 'equals', value: 'customer' },
      target: ['team', team(1)],
      access: 'read',
    },
    {
      object: 'deal',
      name: 'Won deals → all members',
      kind: 'criteria',
      criteria: { field: 'status', operator: 'equals', value: 'won' },
      target: ['role', lit('member')],
      access: 'read',
    },
    { object: 'deal', name: 'Customer Success deals → Sales EMEA', kind: 'owner', source: ['team', team(2)], target: ['team', team(0)], access: 'edit' },
  ];
}

function rulesStatement(ctx: SeedCtx, org: OrgPlan): Statement {
  const values = demoRules(ctx, org).map(
    (r, n) =>
      `(${[
        idOf(ctx, 'rule', n + 1),
        orgIdOf(ctx, org),
        lit(r.object),
        lit(r.name),
        lit(r.kind),
        r.source ? lit(r.source[0]) : 'NULL',
        r.source ? r.source[1] : 'NULL',
        r.criteria ? `${lit(JSON.stringify(r.criteria))}::jsonb` : 'NULL',
        lit(r.target[0]),
        r.target[1],
        lit(r.access),
      ].join(', ')})`,
  );
  return {
    table: 'sharing_rules',
    sql: `INSERT INTO sharing_rules (id, org_id, object_type, name, kind, source_type, source_id, criteria,
        target_type, target_id, access, created_at, updated_at)
      SELECT v.*, ${ctx.anchor} - interval '300 days', ${ctx.anchor} - interval '300 days'
      FROM (VALUES ${values.join(',\n')}) AS v`,
  };
}

/** Shares `limit` records owned by ordinary members (invisible to the grantee otherwise). */
function sharesStatement(
  ctx: SeedCtx,
  org: OrgPlan,
  spec: {
    object: string;
    kind: 'contact' | 'deal' | 'lead';
    first: number;
    window: number;
    owner: string;
    grantee: [type: string, id: string];
    keyBase: number;
    limit: number;
  },
): Statement {
  const firstMember = org.users.start + org.managers + 3;
  return {
    table: 'record_shares',
    sql: `INSERT INTO record_shares (id, org_id, object_type, record_id, grantee_type, grantee_id, access, created_by, created_at, updated_at)
      SELECT ${idOf(ctx, 'share', `${spec.keyBase} + s.n`)}, ${orgIdOf(ctx, org)}, ${lit(spec.object)},
        ${idOf(ctx, spec.kind, 's.i')}, ${lit(spec.grantee[0])}, ${spec.grantee[1]},
        CASE WHEN s.n % 3 = 0 THEN 'edit' ELSE 'read' END, ${adminIdOf(ctx, org)},
        ${ctx.anchor} - s.n * interval '3 days', ${ctx.anchor} - s.n * interval '3 days'
      FROM (SELECT i, row_number() OVER (ORDER BY i) AS n
            FROM generate_series(${spec.first}::int8, ${spec.first + spec.window - 1}::int8) AS i
            WHERE ${spec.owner} >= ${firstMember} LIMIT ${spec.limit}) s`,
  };
}

export function sharingStatements(ctx: SeedCtx): Statement[] {
  const org = ctx.plan.orgs[0];
  const member = idOf(ctx, 'user', org.users.start + org.managers + 1);
  const member2 = idOf(ctx, 'user', org.users.start + org.managers + 2);
  const team1 = idOf(ctx, 'team', org.teams.start + 1);
  const window = (n: number) => Math.min(n, 5000);
  return [
    rulesStatement(ctx, org),
    sharesStatement(ctx, org, {
      object: 'contact',
      kind: 'contact',
      first: org.contacts.start,
      window: window(org.contacts.count),
      owner: contactOwnerNo(ctx, org, 'i'),
      grantee: ['user', member],
      keyBase: 0,
      limit: 8,
    }),
    sharesStatement(ctx, org, {
      object: 'deal',
      kind: 'deal',
      first: org.deals.start,
      window: window(org.deals.count),
      owner: dealOwnerNo(ctx, org, 'i'),
      grantee: ['team', team1],
      keyBase: 100,
      limit: 2,
    }),
    sharesStatement(ctx, org, {
      object: 'lead',
      kind: 'lead',
      first: org.leads.start,
      window: window(org.leads.count),
      owner: leadOwnerNo(ctx, org, 'i'),
      grantee: ['user', member2],
      keyBase: 200,
      limit: 2,
    }),
  ];
}
