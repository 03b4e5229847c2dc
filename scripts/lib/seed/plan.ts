// The shape of a dataset, computed in TypeScript before any SQL runs: how many rows of
// each kind every org gets and which global row numbers they use. Row numbers are the
// keys every SQL draw hashes, so the plan alone fixes every id and value.
import { prng } from './sql-rand';
import { CURRENCIES, ORG_NAMES, PIPELINES, type StageDef, TAG_NAMES, TEAM_NAMES } from './vocab-business';

/** Bump when the generator's output changes, so stored datasets are re-seeded. */
export const SEED_VERSION = 3;
/** Every timestamp is relative to this instant, so runs produce identical data. */
export const ANCHOR = '2026-11-01T00:00:00Z';

export interface SeedParams {
  contacts: number;
  orgs: number;
  seed: number;
}

/** Global row numbers start..start+count-1 (start ≥ 1). */
export interface Range {
  start: number;
  count: number;
}

export interface StagePlan extends StageDef {
  no: number;
  position: number;
}

export interface PipelinePlan {
  no: number;
  name: string;
  isDefault: boolean;
  stages: StagePlan[];
}

export interface OrgPlan {
  no: number;
  slug: string;
  name: string;
  currency: string;
  contacts: Range;
  companies: Range;
  deals: Range;
  leads: Range;
  activities: Range;
  users: Range;
  /** Users 1..managers (0-based within the org) are managers; 0 is the admin. */
  managers: number;
  teams: Range;
  tags: Range;
  pipelines: PipelinePlan[];
}

export interface SeedPlan {
  params: SeedParams;
  orgs: OrgPlan[];
}

/** Contacts per org: the first org holds half, the rest decay geometrically (≥ a few hundred). */
export function orgSizes(contacts: number, orgs: number): number[] {
  if (orgs === 1) return [contacts];
  const first = Math.round(contacts / 2);
  const rest = contacts - first;
  const others = orgs - 1;
  const floor = Math.min(300, Math.floor(rest / others / 2));
  const weights = Array.from({ length: others }, (_, j) => 0.8 ** j);
  const sum = weights.reduce((a, b) => a + b, 0);
  const spread = rest - floor * others;
  const sizes = weights.map((w) => floor + Math.floor((spread * w) / sum));
  sizes[0] += rest - sizes.reduce((a, b) => a + b, 0);
  return [first, ...sizes];
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

function orgIdentity(no: number): { slug: string; name: string } {
  if (no === 1) return { slug: 'demo', name: 'Demo Inc' };
  const [base, name] = ORG_NAMES[(no - 2) % ORG_NAMES.length];
  const round = Math.floor((no - 2) / ORG_NAMES.length);
  return { slug: `${base}-${no}`, name: round ? `${name} ${round + 1}` : name };
}

function pipelinesFor(contacts: number, nextNo: () => number): PipelinePlan[] {
  // Bigger tenants run a second (renewals) pipeline next to the default one.
  const defs = contacts >= 10_000 ? PIPELINES : PIPELINES.slice(0, 1);
  return defs.map((def, d) => {
    const no = nextNo();
    const stages = def.stages.map((s, position) => ({ ...s, position, no: no * 16 + position }));
    return { no, name: def.name, isDefault: d === 0, stages };
  });
}

/** Allocates consecutive global numbers per entity kind across orgs. */
function counters() {
  const next: Record<string, number> = {};
  return (kind: string, count: number): Range => {
    const start = next[kind] ?? 1;
    next[kind] = start + count;
    return { start, count };
  };
}

export function planDataset(params: SeedParams): SeedPlan {
  const take = counters();
  const rand = prng(params.seed, 'plan');
  let pipelineNo = 0;
  const orgs = orgSizes(params.contacts, params.orgs).map((n, idx): OrgPlan => {
    const no = idx + 1;
    const users = clamp(Math.round(Math.sqrt(n) / 4), 5, 300);
    return {
      no,
      ...orgIdentity(no),
      currency: no === 1 ? 'USD' : CURRENCIES[no % CURRENCIES.length],
      contacts: take('contact', n),
      companies: take('company', Math.max(1, Math.round(n / 10))),
      deals: take('deal', Math.max(1, Math.round(n / 3))),
      leads: take('lead', Math.max(1, Math.round(n / 5))),
      activities: take('activity', 2 * n),
      users: take('user', users),
      managers: Math.max(2, Math.round(users / 10)),
      teams: take('team', clamp(2 + Math.floor(users / 40), 2, TEAM_NAMES.length)),
      tags: take('tag', clamp(10 + Math.floor(rand() * 21), 10, TAG_NAMES.length)),
      pipelines: pipelinesFor(n, () => ++pipelineNo),
    };
  });
  return { params, orgs };
}

/** Splits a range into pieces of at most `size` rows: the unit of parallel work. */
export function chunks(range: Range, size: number): [lo: number, hi: number][] {
  const out: [number, number][] = [];
  for (let lo = range.start; lo < range.start + range.count; lo += size) {
    out.push([lo, Math.min(lo + size, range.start + range.count) - 1]);
  }
  return out;
}
