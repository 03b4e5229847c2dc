// Activities (the contact timeline) and tag links. Activities are the largest table
// (2 per contact); each links to a contact, often to one of that contact's deals or its
// company, and a few to a lead instead.
import { idOf, orgIdOf, type SeedCtx } from './context';
import { companyCreated, contactCompanyNo, contactCreated, contactOwnerNo, dealContactNo, dealCreated, dealOwnerNo, leadCreated, ownerNo } from './derive';
import { between, lastName } from './people-sql';
import type { OrgPlan, Range } from './plan';
import { CHRONOLOGICAL, insertSelect, level, series } from './sql-build';
import { at, textArray } from './sql-rand';
import { ACTIVITY_BODIES, ACTIVITY_SUBJECTS, ACTIVITY_TYPE_WEIGHTS, ACTIVITY_TYPES } from './vocab-business';

const TYPES = textArray(ACTIVITY_TYPES);
const SUBJECTS = textArray(ACTIVITY_SUBJECTS.flat());
const SUBJECTS_PER_TYPE = ACTIVITY_SUBJECTS[0].length;
const BODIES = textArray(ACTIVITY_BODIES);
/** Calls, tasks and meetings are scheduled (have a due date); the rest are logged after the fact. */
const SCHEDULED = '(1, 2, 3)';

function activityLevels(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const deal = `${org.deals.start} + ${r.int('a', 'a.deal', org.deals.count)}`;
  const b = level('b', 'a', series(lo, hi, 'a'), {
    t: r.weighted(
      'a',
      'a.type',
      ACTIVITY_TYPE_WEIGHTS.map((w, n) => [String(n), w]),
    ),
    dn: `CASE WHEN ${r.chance('a', 'a.has_deal', 0.3)} THEN ${deal} END`,
    ln: `CASE WHEN ${r.chance('a', 'a.has_lead', 0.04)} THEN ${org.leads.start} + ${r.int('a', 'a.lead', org.leads.count)} END`,
  });
  const c = level('c', 'b.*', b, {
    cn: `CASE WHEN dn IS NOT NULL THEN ${dealContactNo(ctx, org, 'dn')} ELSE ${org.contacts.start} + ${r.skewed('a', 'a.contact', org.contacts.count, 1.15)} END`,
  });
  const d = level('d', 'c.*', c, {
    co: contactCompanyNo(ctx, org, 'cn'),
    created: `CASE WHEN ln IS NOT NULL AND dn IS NULL THEN ${between(r, 'a.created', 'a', leadCreated(ctx, 'ln'), ctx.anchor)}
      ELSE ${between(r, 'a.created', 'a', contactCreated(ctx, 'cn'), ctx.anchor)} END`,
  });
  const e = level('e', 'd.*', d, {
    due: `CASE WHEN t IN ${SCHEDULED} THEN created + (${r.int('a', 'a.due', 45 * 24)} + 1) * interval '1 hour' END`,
  });
  const open = r.weighted('a', 'a.status.open', [
    ["'pending'", 70],
    ["'in_progress'", 25],
    ["'cancelled'", 5],
  ]);
  const past = r.weighted('a', 'a.status.past', [
    ["'completed'", 80],
    ["'cancelled'", 8],
    ["'pending'", 8],
    ["'in_progress'", 4],
  ]);
  const f = level('f', 'e.*', e, {
    status: `CASE WHEN due IS NULL THEN 'completed' WHEN due < ${ctx.anchor} THEN ${past} ELSE ${open} END`,
  });
  return level('g', 'f.*', f, {
    done: `CASE WHEN status = 'completed' THEN least(${ctx.anchor}, coalesce(due, created) + ${r.unit('a', 'a.done')} * interval '2 days') END`,
  });
}

export function activitiesSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const leadOnly = 'ln IS NOT NULL AND dn IS NULL';
  const who = `CASE WHEN ${leadOnly} THEN ${lastName(r, 'l', 'ln')} ELSE ${lastName(r, 'c', 'cn')} END`;
  const subject = at(SUBJECTS, `t * ${SUBJECTS_PER_TYPE} + ${r.int('a', 'a.subject', SUBJECTS_PER_TYPE)}`);
  const owner = `CASE WHEN dn IS NOT NULL THEN ${dealOwnerNo(ctx, org, 'dn')}
    WHEN ${r.chance('a', 'a.owner.same', 0.7)} THEN ${contactOwnerNo(ctx, org, 'cn')} ELSE ${ownerNo(ctx, org, 'a', 'a.owner')} END`;
  return insertSelect(
    'activities',
    {
      id: idOf(ctx, 'activity', 'a'),
      org_id: orgIdOf(ctx, org),
      type: at(TYPES, 't'),
      subject: `replace(${subject}, '%s', ${who})`,
      body: `CASE WHEN ${r.chance('a', 'a.has_body', 0.6)} THEN ${at(BODIES, r.int('a', 'a.body', ACTIVITY_BODIES.length))} END`,
      status: 'status',
      priority: r.weighted('a', 'a.priority', [
        ["'low'", 25],
        ["'medium'", 50],
        ["'high'", 20],
        ["'urgent'", 5],
      ]),
      due_at: 'due',
      completed_at: 'done',
      contact_id: `CASE WHEN NOT (${leadOnly}) THEN ${idOf(ctx, 'contact', 'cn')} END`,
      company_id: `CASE WHEN co IS NOT NULL AND NOT (${leadOnly}) AND (dn IS NOT NULL OR ${r.chance('a', 'a.has_company', 0.2)}) THEN ${idOf(ctx, 'company', 'co')} END`,
      deal_id: `CASE WHEN dn IS NOT NULL THEN ${idOf(ctx, 'deal', 'dn')} END`,
      lead_id: `CASE WHEN ${leadOnly} THEN ${idOf(ctx, 'lead', 'ln')} END`,
      owner_id: idOf(ctx, 'user', owner),
      created_at: 'created',
      updated_at: 'coalesce(done, created)',
    },
    activityLevels(ctx, org, lo, hi),
    CHRONOLOGICAL,
  );
}

export type TaggedKind = 'contact' | 'company' | 'deal' | 'lead';

/** Which share of each kind carries tags, and at most how many. */
export const TAGGING: Record<TaggedKind, { table: string; share: number; max: number }> = {
  contact: { table: 'contact_tags', share: 1 / 3, max: 3 },
  company: { table: 'company_tags', share: 0.25, max: 2 },
  deal: { table: 'deal_tags', share: 0.2, max: 2 },
  lead: { table: 'lead_tags', share: 0.2, max: 2 },
};

function entityCreated(ctx: SeedCtx, org: OrgPlan, kind: TaggedKind, e: string): string {
  if (kind === 'contact') return contactCreated(ctx, e);
  if (kind === 'company') return companyCreated(ctx, e);
  if (kind === 'deal') return dealCreated(ctx, org, e);
  return leadCreated(ctx, e);
}

/** Tag links: consecutive tags from a skewed start, so a record's tags are distinct. */
export function tagLinksSql(ctx: SeedCtx, org: OrgPlan, kind: TaggedKind, lo: number, hi: number): string {
  const { r } = ctx;
  const { table, share, max } = TAGGING[kind];
  const tags: Range = org.tags;
  const counts = [
    ['1', 50],
    ['2', 30],
    ['3', 20],
  ].slice(0, max) as [string, number][];
  const b = level(
    'b',
    'e',
    series(lo, hi, 'e'),
    {
      n: r.weighted('e', `${table}.count`, counts),
      first: r.skewed('e', `${table}.first`, tags.count, 1.5),
    },
    r.chance('e', `${table}.has`, share),
  );
  const from = level('x', 'b.*, s', `${b} JOIN generate_series(1, ${max}) AS s ON s <= b.n`, {
    created: between(r, `${table}.created`, 'e', entityCreated(ctx, org, kind, 'e'), ctx.anchor),
  });
  return insertSelect(
    table,
    {
      org_id: orgIdOf(ctx, org),
      entity_id: idOf(ctx, kind, 'e'),
      tag_id: idOf(ctx, 'tag', `${tags.start} + (first + s - 1) % ${tags.count}`),
      created_at: 'created',
    },
    from,
    'entity_id, tag_id',
  );
}
