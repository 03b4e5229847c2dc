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
