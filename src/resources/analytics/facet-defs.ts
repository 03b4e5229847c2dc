import type { Memo } from '../../cache/isolate';
import type { Db } from '../../db/client';
import type { DeletedMode } from '../../query/ast';
import { rememberedPlan, uuidBelow } from '../../query/count';
import { orgPredicate } from '../../query/params';
import type { ResourceDef } from '../../query/resource';
import { CATALOG } from '../registry';

/**
 * What each shared resource can be faceted by (issue 26 §5, decision 0052): its enum and
 * reference columns, and a contact's or company's country through its address. A closed list:
 * a facet is a GROUP BY, so only low-cardinality fields with an index-friendly shape are offered.
 * The order is the default `fields` order.
 */
export interface FacetDef {
  /** A column of the resource's own table. */
  column?: string;
  /** Or a column of a record the row points at (the address's country). */
  via?: { key: string; table: string; column: string };
}

export const FACETS: Readonly<Record<string, Readonly<Record<string, FacetDef>>>> = {
  contacts: {
    status: { column: 'status' },
    lifecycle_stage: { column: 'lifecycle_stage' },
    source: { column: 'source' },
    gender: { column: 'gender' },
    country: { via: { key: 'address_id', table: 'addresses', column: 'country' } },
    owner_id: { column: 'owner_id' },
  },
  companies: {
    industry: { column: 'industry' },
    size_band: { column: 'size_band' },
    country: { via: { key: 'address_id', table: 'addresses', column: 'country' } },
    owner_id: { column: 'owner_id' },
  },
  leads: { status: { column: 'status' }, source: { column: 'source' }, owner_id: { column: 'owner_id' } },
  deals: {
    status: { column: 'status' },
    pipeline_id: { column: 'pipeline_id' },
    stage_id: { column: 'stage_id' },
    currency: { column: 'currency' },
    owner_id: { column: 'owner_id' },
  },
  activities: { type: { column: 'type' }, status: { column: 'status' }, priority: { column: 'priority' }, owner_id: { column: 'owner_id' } },
};

/** The resources with facets, as catalog entries. */
export const FACETED: readonly ResourceDef[] = Object.keys(FACETS).map((name) => CATALOG[name]);

/** Every resource a resource's facets read: a write to any of them moves the rollup's generation. */
export function facetSources(resource: string): string[] {
  const via = Object.values(FACETS[resource] ?? {}).flatMap((f) => (f.via ? [f.via.table] : []));
  return [...new Set([resource, ...via])];
}

/**
 * The facets' columns over the rows of `alias` (`f0`, `f1`, …, as text), and the joins their
 * `via` facets need, for a statement that selects them from `source` (a table or subquery
 * aliased `alias`). `org` is the SQL of the org id.
 */
export function facetColumns(resource: string, fields: readonly string[], alias: string, org: string): { cols: string[]; joins: string[]; keys: string[] } {
  const defs = FACETS[resource];
  const joins = new Map<string, string>();
  const keys = new Set<string>();
  const cols = fields.map((name, i) => {
    const f = defs[name];
    if (f.column) return `${alias}.${f.column}::text as f${i}`;
    const via = f.via as NonNullable<FacetDef['via']>;
    const ja = `j_${via.key}`;
    keys.add(via.key);
    joins.set(ja, `left join ${via.table} ${ja} on ${ja}.org_id = ${org} and ${ja}.id = ${alias}.${via.key}`);
    return `${ja}.${via.column}::text as f${i}`;
  });
  return { cols, joins: [...joins.values()], keys: [...keys] };
}

/** Matches a live facet request reads at most before it samples: counts scale from a uniform sample of about this many. */
export const FACET_SAMPLE = 2500;

/**
 * The time budget of a sampled facet request, in rows of the org it reads (decision 0052): a
 * row read through the `(org_id, id)` index costs about 1.5–2 µs (random heap order), so about
 * 20 ms. A filter keeping few rows (a text search: 5–10 %) would need 25–50k rows read for
 * FACET_SAMPLE matches; within the budget it gets fewer, at least FACET_MIN_SAMPLE.
 */
export const FACET_READ_BUDGET = 10_000;
/** The fewest matches a budgeted sample is expected to hold; a filter keeping fewer is sampled through its own index. */
export const FACET_MIN_SAMPLE = 500;
/** Resources with an `(org_id, id)` index over their live rows: an org's lowest ids are one index range. */
const ID_RANGE: ReadonlySet<string> = new Set(['contacts']);

/** How a live facet request reads its matches. */
export interface SamplePlan {
  /** The fraction of the id space read: 1 for every match. */
  fraction: number;
  /**
   * Whether the org's lowest ids are read first (by the `(org_id, id)` index, at most
   * FACET_READ_BUDGET rows) and the filter kept to their rows, or the planner picks the way in.
   */
  fenced: boolean;
  /** Matches the sample should hold. */
  expected: number;
}

/**
 * Chooses the sample from the planner's estimates: `matches` of the filter, `base` rows of the
 * org. All matches when few are expected; otherwise the lowest fraction of the id space holding
 * about FACET_SAMPLE of them, read as one `(org_id, id)` range when that stays within the read
 * budget, or the budget's range when the filter keeps enough of it. A text index is not per org
 * (its bitmap for a common trigram spans every org's matches: 40 ms for `son` in 3M contacts),
 * so the range goes first and the filter is applied to its rows alone. A filter too selective
 * for the budget is left to the planner, bounded by the id fraction (its own index, ANDed).
 */
export function planSample(resource: ResourceDef, matches: number, base: number | undefined): SamplePlan {
  if (matches <= FACET_SAMPLE) return { fraction: 1, fenced: false, expected: matches };
  const target = FACET_SAMPLE / matches;
  if (!ID_RANGE.has(resource.name) || base === undefined) return { fraction: target, fenced: false, expected: FACET_SAMPLE };
  const budget = FACET_READ_BUDGET / Math.max(base, 1);
  if (target <= budget) return { fraction: target, fenced: true, expected: FACET_SAMPLE };
  if (matches * budget >= FACET_MIN_SAMPLE) return { fraction: budget, fenced: true, expected: matches * budget };
  return { fraction: target, fenced: false, expected: FACET_SAMPLE };
}

/** The org's live rows of the resource, the rows its `(org_id, id)` index holds, as SQL conditions. */
function liveRows(resource: ResourceDef): string[] {
  const a = resource.alias;
  return [orgPredicate(a), ...(resource.softDelete ? [`${a}.deleted_at is null`] : [])];
}

/**
 * The FROM/WHERE a sample reads (`fromWhere` is planList's, `from <table> <alias> where …`) and
 * its values: the matches among the ids below the plan's bound. Fenced, the bounded id range is
 * a subquery of its own (OFFSET 0 keeps the planner from flattening it) and the filter applies
 * to its rows.
 */
export function sampleFromWhere(
  resource: ResourceDef,
  fromWhere: string,
  values: readonly unknown[],
  plan: SamplePlan,
): { fromWhere: string; values: unknown[]; fraction: number } {
  if (plan.fraction >= 1) return { fromWhere, values: [...values], fraction: 1 };
  const { bound, fraction } = uuidBelow(plan.fraction);
  const a = resource.alias;
  const below = `${a}.id < $${values.length + 1}::uuid`;
  const args = [...values, bound];
  if (!plan.fenced) return { fromWhere: `${fromWhere} and ${below}`, values: args, fraction };
  const head = `from ${resource.table} ${a} where `;
  if (!fromWhere.startsWith(head)) throw new Error(`sampleFromWhere: expected planList's FROM/WHERE, got ${fromWhere.slice(0, 60)}`);
  const range = [...liveRows(resource), below].join(' and ');
  return { fromWhere: `from (select * ${head}${range} offset 0) ${a} where ${fromWhere.slice(head.length)}`, values: args, fraction };
}

/** The live statement: each field grouped over the matches (`fromWhere`, which may bound the ids to sample). */
export function liveFacetSql(resource: ResourceDef, fields: readonly string[], fromWhere: string): string {
  const a = resource.alias;
  const defs = FACETS[resource.name];
  const raw = [...new Set(fields.flatMap((f) => [defs[f].column ?? (defs[f].via?.key as string)]))];
  const { cols, joins } = facetColumns(resource.name, fields, 's', '$1');
  const groups = fields.map((_, i) => `select ${i} as f, f${i} as v, count(*)::int as n from t group by 2`);
  return `with s as materialized (select ${raw.map((col) => `${a}.${col}`).join(', ')} ${fromWhere}),
    t as materialized (select ${cols.join(', ')} from s ${joins.join(' ')})
    ${groups.join(' union all ')}
    union all select -1, null, (select count(*)::int from s)`;
}

export interface LiveFacets {
  /** Per field index, value → count, as read (not scaled). */
  rows: Array<{ f: number; v: string | null; n: number }>;
  /** Matches read. */
  read: number;
  /** The fraction of the id space read: 1 when every match was counted. */
  fraction: number;
}

/** The planner's estimate for `select 1 <fromWhere>`, remembered a few seconds per shape and values (the org is $1). */
const estimate = (db: Db, fromWhere: string, values: readonly unknown[], estimates: Memo | undefined) =>
  rememberedPlan(db, estimates, `facets|${fromWhere}|${JSON.stringify(values)}`, fromWhere, values);

/**
 * Counts every match when the planner expects at most FACET_SAMPLE of them (or `exact`);
 * otherwise only the matches whose id lies in the lowest fraction f of the id space (planSample):
 * ids are random (v4), so those are a uniform random sample, and each count divided by f
 * estimates the whole. A sample that came out thin (the planner overestimated) is taken once
 * more at the fraction it suggests, through whichever index the planner picks.
 */
export async function liveFacets(
  db: Db,
  resource: ResourceDef,
  fields: readonly string[],
  fromWhere: string,
  values: readonly unknown[],
  opts: { exact: boolean; deleted: DeletedMode; estimates?: Memo },
): Promise<LiveFacets> {
  const run = async (plan: SamplePlan): Promise<LiveFacets> => {
    const s = sampleFromWhere(resource, fromWhere, values, plan);
    const { rows } = await db.query<{ f: number; v: string | null; n: number }>(liveFacetSql(resource, fields, s.fromWhere), s.values);
    const read = rows.find((r) => r.f === -1)?.n ?? 0;
    return { rows: rows.filter((r) => r.f !== -1), read, fraction: s.fraction };
  };
  const all: SamplePlan = { fraction: 1, fenced: false, expected: 0 };
  if (opts.exact) return run(all);
  const matches = await estimate(db, fromWhere, values, opts.estimates);
  if (matches <= FACET_SAMPLE) return run(all);
  // The (org_id, id) index holds live rows only: a request for deleted ones is left to the planner.
  const base =
    ID_RANGE.has(resource.name) && opts.deleted === 'exclude'
      ? await estimate(db, `from ${resource.table} ${resource.alias} where ${liveRows(resource).join(' and ')}`, values.slice(0, 1), opts.estimates)
      : undefined;
  const plan = planSample(resource, matches, base);
  const first = await run(plan);
  if (first.read >= plan.expected / 2) return first;
  // Thin: about read / fraction match in all; one more sample at the fraction that gives FACET_SAMPLE.
  return run({ ...all, fraction: first.read ? Math.min(1, FACET_SAMPLE / (first.read / first.fraction)) : 1 });
}
