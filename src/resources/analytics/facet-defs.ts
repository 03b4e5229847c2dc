import type { Memo } from '../../cache/isolate';
import type { Db } from '../../db/client';
import { plannedRows, uuidBelow } from '../../query/count';
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
  /** Rows read. */
  read: number;
  /** The fraction of the id space read: 1 when every match was counted. */
  fraction: number;
}

/**
 * Counts every match when the planner expects at most FACET_SAMPLE of them (or `exact`);
 * otherwise only the matches whose id lies in the lowest fraction f of the id space, f chosen
 * so that about FACET_SAMPLE match: ids are random (v4), so those are a uniform random sample,
 * read through whichever index suits the filter with the id bound (the `(org_id, id)` range or
 * the filter's own index), and each count divided by f estimates the whole. A sample that came
 * out thin (the planner overestimated) is taken once more at the fraction it suggests.
 */
export async function liveFacets(
  db: Db,
  resource: ResourceDef,
  fields: readonly string[],
  fromWhere: string,
  values: readonly unknown[],
  opts: { exact: boolean; estimates?: Memo },
): Promise<LiveFacets> {
  const run = async (fraction: number): Promise<LiveFacets> => {
    const bounded = fraction < 1 ? `${fromWhere} and ${resource.alias}.id < $${values.length + 1}::uuid` : fromWhere;
    const args = fraction < 1 ? [...values, uuidBelow(fraction).bound] : values;
    const { rows } = await db.query<{ f: number; v: string | null; n: number }>(liveFacetSql(resource, fields, bounded), args);
    const read = rows.find((r) => r.f === -1)?.n ?? 0;
    return { rows: rows.filter((r) => r.f !== -1), read, fraction: fraction < 1 ? uuidBelow(fraction).fraction : 1 };
  };
  if (opts.exact) return run(1);
  // The planner's estimate, remembered a few seconds per shape and values (the org is $1).
  const key = `facets|${fromWhere}|${JSON.stringify(values)}`;
  let planned = opts.estimates?.get(key);
  if (planned === undefined) {
    planned = await plannedRows(db, `select 1 ${fromWhere}`, values);
    opts.estimates?.set(key, planned);
  }
  if (planned <= FACET_SAMPLE) return run(1);
  const first = await run(FACET_SAMPLE / planned);
  if (first.read >= FACET_SAMPLE / 2) return first;
  // Thin: about read / fraction match in all; one more sample at the fraction that gives FACET_SAMPLE.
  return run(first.read ? Math.min(1, FACET_SAMPLE / (first.read / first.fraction)) : 1);
}
