// Rows hanging off contacts: company associations, loyalty history, leads and deals.
import { adminIdOf, idOf, orgIdOf, type SeedCtx } from './context';
import {
  companyBrand,
  companyDomain,
  companyName,
  contactCompanyNo,
  contactCreated,
  dealContactNo,
  dealCreated,
  dealOwnerNo,
  deletedAfter,
  isDeleted,
  leadCreated,
  leadOwnerNo,
  updatedAfter,
} from './derive';
import { sourceExpr } from './load-people';
import { between, cityIndex, emailLocal, firstName, freeMailDomain, genderIndex, lastName, phoneNumber } from './people-sql';
import type { OrgPlan, PipelinePlan } from './plan';
import { CHRONOLOGICAL, insertSelect, level, series } from './sql-build';
import { at, intArray, lit, textArray } from './sql-rand';
import { CONTACT_COMPANY_ROLES, DEAL_PRODUCTS } from './vocab-business';

const ROLES = textArray(CONTACT_COMPANY_ROLES);
const SECOND_ROLES = textArray(['Advisor', 'Former Employee', 'Board Member']);
const PRODUCTS = textArray(DEAL_PRODUCTS);

/** Primary company link for contacts that have one, plus a second company for some. */
export function contactCompaniesSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string[] {
  const { r } = ctx;
  const { start, count } = org.companies;
  const b = level('b', 'i', series(lo, hi), {
    co: contactCompanyNo(ctx, org, 'i'),
    created: contactCreated(ctx, 'i'),
  });
  const cols = (company: string, role: string) => ({
    org_id: orgIdOf(ctx, org),
    contact_id: idOf(ctx, 'contact', 'i'),
    company_id: idOf(ctx, 'company', company),
    role,
    created_at: 'created',
    updated_at: 'created',
  });
  const primary = insertSelect(
    'contact_companies',
    cols('co', at(ROLES, r.skewed('i', 'cc.role', CONTACT_COMPANY_ROLES.length, 1.8))),
    `${b} WHERE co IS NOT NULL`,
    'contact_id, company_id',
  );
  if (count < 2) return [primary];
  // Any other company of the org: an offset in 1..count-1 can never land on the primary.
  const other = `${start} + (co - ${start} + 1 + ${r.int('i', 'cc.second', count - 1)}) % ${count}`;
  const second = insertSelect(
    'contact_companies',
    cols(other, at(SECOND_ROLES, r.int('i', 'cc.second.role', 3))),
    `${b} WHERE co IS NOT NULL AND ${r.chance('i', 'cc.has_second', 0.08)}`,
    'contact_id, company_id',
  );
  return [primary, second];
}

/**
 * 1–3 loyalty records per contact. Record s of n lies in the s-th of n disjoint slices of
 * [contact created, anchor], so created_at is distinct per contact (the unique key).
 */
export function relationshipsSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const a = level('a', 'i', series(lo, hi), {
    n: r.weighted('i', 'cr.count', [
      ['1', 40],
      ['2', 35],
      ['3', 25],
    ]),
    cc: contactCreated(ctx, 'i'),
  });
  const k = '(i * 4 + s)';
  const b = level('b', 'a.*, s', `${a} JOIN generate_series(1, 3) AS s ON s <= a.n`, {
    created: `cc + ((s - 1) + 0.9 * ${r.unit(k, 'cr.slot')}) / n * (${ctx.anchor} - cc)`,
  });
  const c = level('c', 'b.*', b, {
    last: `CASE WHEN ${r.chance(k, 'cr.has_activity', 0.95)} THEN ${between(r, 'cr.last', k, 'created', ctx.anchor)} END`,
  });
  return insertSelect(
    'customer_relationships',
    {
      id: idOf(ctx, 'relationship', k),
      org_id: orgIdOf(ctx, org),
      contact_id: idOf(ctx, 'contact', 'i'),
      points: `floor(10001 * power(${r.unit(k, 'cr.points')}, 2.5))::int`,
      created_at: 'created',
      last_activity_at: 'last',
      updated_at: 'coalesce(last, created)',
    },
    c,
    CHRONOLOGICAL,
  );
}

const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'unqualified', 'converted'];
const LEAD_SCORE_FROM = intArray([0, 10, 50, 0, 60]);
const LEAD_SCORE_SPAN = intArray([61, 61, 51, 31, 41]);

export function leadsSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const b = level('b', 'l', series(lo, hi, 'l'), {
    g: genderIndex(r, 'l', 'l'),
    st: r.weighted('l', 'l.status', [
      ['0', 30],
      ['1', 25],
      ['2', 15],
      ['3', 18],
      ['4', 12],
    ]),
    has_co: r.chance('l', 'l.has_company', 0.85),
    created: leadCreated(ctx, 'l'),
  });
  const p = level('p', 'b.*', b, {
    fa: firstName(r, 'l', 'l', 'g', true),
    la: lastName(r, 'l', 'l', true),
    updated: updatedAfter(ctx, 'l', 'l', 'created'),
  });
  // Leads name companies that are not (yet) company records: key them on -l.
  const domain = `CASE WHEN has_co AND ${r.chance('l', 'l.work_email', 0.6)} THEN ${companyDomain(ctx, '-l')} ELSE ${freeMailDomain(r, 'l', 'l')} END`;
  return insertSelect(
    'leads',
    {
      id: idOf(ctx, 'lead', 'l'),
      org_id: orgIdOf(ctx, org),
      first_name: firstName(r, 'l', 'l', 'g'),
      last_name: lastName(r, 'l', 'l'),
      email: `CASE WHEN ${r.chance('l', 'l.has_email', 0.95)} THEN ${emailLocal(r, 'l', 'l', 'fa', 'la')} || '@' || ${domain} END`,
      phone: `CASE WHEN ${r.chance('l', 'l.has_phone', 0.7)} THEN ${phoneNumber(r, 'l', 'l', cityIndex(r, 'l', 'l'))} END`,
      company_name: `CASE WHEN has_co THEN ${companyName(ctx, '-l')} END`,
      status: at(textArray(LEAD_STATUSES), 'st'),
      source: sourceExpr(ctx, 'l', 'l.source'),
      score: `${at(LEAD_SCORE_FROM, 'st')} + ${r.int('l', 'l.score', at(LEAD_SCORE_SPAN, 'st'))}::int`,
      owner_id: idOf(ctx, 'user', leadOwnerNo(ctx, org, 'l')),
      converted_contact_id: `CASE WHEN st = 4 THEN ${idOf(ctx, 'contact', `${org.contacts.start} + ${r.int('l', 'l.converted', org.contacts.count)}`)} END`,
      created_at: 'created',
      updated_at: 'updated',
      deleted_at: deletedAfter(ctx, 'l', 'l', 'updated'),
      deleted_by: `CASE WHEN ${isDeleted(ctx, 'l', 'l')} THEN ${adminIdOf(ctx, org)} END`,
    },
    p,
    CHRONOLOGICAL,
  );
}

/** Per-pipeline lookups by stage position: probability and open/won/lost. */
function stageLookups(pipelines: PipelinePlan[], pl: string, pos: string) {
  const pick = (f: (p: PipelinePlan) => string) =>
    pipelines.length === 1 ? f(pipelines[0]) : `(CASE ${pl} WHEN 0 THEN ${f(pipelines[0])} ELSE ${f(pipelines[1])} END)`;
  return {
    pipelineNo: pick((p) => String(p.no)),
    probability: pick((p) => at(intArray(p.stages.map((s) => s.probability)), pos)),
    status: pick((p) => at(textArray(p.stages.map((s) => (s.won ? 'won' : s.lost ? 'lost' : 'open'))), pos)),
  };
}

function dealLevels(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const [main, second] = org.pipelines;
  const stageOf = (p: PipelinePlan, name: string) =>
    r.weighted(
      'd',
      name,
      p.stages.map((s) => [String(s.position), s.weight]),
    );
  const b = level('b', 'd', series(lo, hi, 'd'), {
    c: dealContactNo(ctx, org, 'd'),
    pl: second ? `(CASE WHEN ${r.chance('d', 'd.pipeline', 0.15)} THEN 1 ELSE 0 END)` : '0',
    created: dealCreated(ctx, org, 'd'),
  });
  const s = level('s', 'b.*', b, {
    co: contactCompanyNo(ctx, org, 'c'),
    pos: second ? `(CASE pl WHEN 0 THEN ${stageOf(main, 'd.stage')} ELSE ${stageOf(second, 'd.stage2')} END)` : stageOf(main, 'd.stage'),
  });
  const lk = stageLookups(org.pipelines, 'pl', 'pos');
  return level('t', 't0.*', level('t0', 's.*', s, { pipeline_no: lk.pipelineNo, probability: lk.probability, status: lk.status }), {
    closed: `CASE WHEN status <> 'open' THEN least(${ctx.anchor}, created + (1 + 120 * ${r.unit('d', 'd.closed')}) * interval '1 day') END`,
    updated: updatedAfter(ctx, 'd', 'd', 'created'),
  });
}

export function dealsSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const title = `CASE WHEN co IS NOT NULL THEN ${companyBrand(ctx, 'co')} ELSE ${lastName(r, 'c', 'c')} END`;
  return insertSelect(
    'deals',
    {
      id: idOf(ctx, 'deal', 'd'),
      org_id: orgIdOf(ctx, org),
      name: `${title} || ' - ' || ${at(PRODUCTS, r.skewed('d', 'd.product', DEAL_PRODUCTS.length, 1.3))}`,
      value: `round((200 * exp(6.2 * ${r.unit('d', 'd.value')}))::numeric, -1)`,
      currency: lit(org.currency),
      probability: 'probability',
      status: 'status',
      expected_close_date: `(created + (14 + ${r.int('d', 'd.expected', 150)}) * interval '1 day')::date`,
      closed_at: 'closed',
      pipeline_id: idOf(ctx, 'pipeline', 'pipeline_no'),
      stage_id: idOf(ctx, 'stage', 'pipeline_no * 16 + pos'),
      contact_id: idOf(ctx, 'contact', 'c'),
      company_id: `CASE WHEN co IS NOT NULL THEN ${idOf(ctx, 'company', 'co')} END`,
      owner_id: idOf(ctx, 'user', dealOwnerNo(ctx, org, 'd')),
      created_at: 'created',
      updated_at: 'greatest(updated, coalesce(closed, updated))',
      deleted_at: deletedAfter(ctx, 'd', 'd', 'greatest(updated, coalesce(closed, updated))'),
      deleted_by: `CASE WHEN ${isDeleted(ctx, 'd', 'd')} THEN ${adminIdOf(ctx, org)} END`,
    },
    dealLevels(ctx, org, lo, hi),
    CHRONOLOGICAL,
  );
}
