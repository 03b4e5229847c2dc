import type { Db } from '../../db/client';
import type { AppEnv } from '../../env';
import { CATALOG } from '../registry';
import { FACETS, facetColumns, facetSources } from './facet-defs';

/**
 * Rollups the cron keeps (issue 26 §5–6, decision 0052): each is computed for one org in one
 * transaction that first takes a Postgres advisory lock for it (a try: a run that overlaps
 * another skips that org instead of waiting), records the generation it was computed at (read
 * before the counts, so a write that lands meanwhile makes it stale, never falsely fresh), and
 * replaces the previous rows whole. Only orgs whose data moved since their rollup are computed.
 */

/** Facet rollups and deal cubes older than this and stale are recomputed when read (stale-while-revalidate); the cron runs every 5 minutes. */
export const ROLLUP_MAX_AGE_MS = 5 * 60_000;
/** The cron stops starting new rollups after this long (a cron run may last 15 minutes). */
const CRON_BUDGET_MS = 10 * 60_000;
/** One rollup statement may run this long (the database's default for requests is 10 s). */
const ROLLUP_TIMEOUT = '300s';

/** An org's facet totals for one resource (the rollup's row in `rollups`, and its copy in KV). */
export interface FacetRollup {
  generation: number;
  computedAt: string;
  /** Per field: [value, count] pairs, most frequent first. */
  fields: Record<string, Array<[string | null, number]>>;
}

export const facetKvKey = (orgId: string, resource: string) => `rollup/facets/${orgId}/${resource}`;

/** The SQL generation of `resources` for the org row `g` of org_generations (0 when never written). */
export function generationSql(resources: readonly string[], g = 'g'): string {
  return `greatest(0, ${resources.map((r) => `coalesce((${g}.changed->>'${r}')::bigint, 0)`).join(', ')})`;
}

/**
 * `work` in one transaction holding the advisory lock named `name`, or false when another
 * transaction holds it. The lock is taken first, alone, so nothing else runs without it.
 */
export async function underLock(db: Db, name: string, work: () => Promise<void>): Promise<boolean> {
  await db.query('begin');
  try {
    const { rows } = await db.query<{ locked: boolean }>(`select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked`, [name]);
    if (!rows[0]?.locked) {
      await db.query('rollback');
      return false;
    }
    // A rollup is one pass over an org's rows: its hash tables (the grouping sets, a join) in memory, not in batches on disk.
    await db.query(`select set_config('statement_timeout', '${ROLLUP_TIMEOUT}', true), set_config('work_mem', '256MB', true)`);
    await work();
    await db.query('commit');
    return true;
  } catch (err) {
    await db.query('rollback').catch(() => {});
    throw err;
  }
}

/**
 * Recomputes one org's facet counts for `resource` at owner grain, then its totals (kept in
 * `rollups` and in KV, where admins read them). False when another run holds it.
 */
export async function computeFacetRollup(env: AppEnv, db: Db, orgId: string, resource: string): Promise<boolean> {
  const def = CATALOG[resource];
  const fields = Object.keys(FACETS[resource]);
  const a = def.alias;
  const { cols, joins } = facetColumns(resource, fields, a, '$1');
  let rollup: FacetRollup | undefined;
  const done = await underLock(db, `rollup:facets:${orgId}:${resource}`, async () => {
    const [{ generation }] = (
      await db.query<{ generation: string }>(
        `select coalesce((select ${generationSql(facetSources(resource))} from org_generations g where g.org_id = $1), 0)::text as generation`,
        [orgId],
      )
    ).rows;
    // One pass over the org's rows: a grouping set per field, each by owner.
    const sets = fields.map((_, i) => `(t.owner_id, t.f${i})`).join(', ');
    const which = fields.map((_, i) => `when grouping(t.f${i}) = 0 then ${i + 1}`).join(' ');
    const value = fields.map((_, i) => `t.f${i}`).join(', ');
    db.query(`delete from facet_counts where org_id = $1 and resource = $2`, [orgId, resource]).catch(() => {});
    await db.query(
      `insert into facet_counts (org_id, resource, field, owner_id, value, n)
       select $1, $2, ($3::text[])[k], owner_id, v, n from (
         select t.owner_id, case ${which} end as k, coalesce(${value}) as v, count(*) as n
         from (select ${a}.owner_id, ${cols.join(', ')} from ${def.table} ${a} ${joins.join(' ')}
               where ${a}.org_id = $1${def.softDelete ? ` and ${a}.deleted_at is null` : ''}) t
         group by grouping sets (${sets})
       ) g`,
      [orgId, resource, fields],
    );
    const { rows } = await db.query<{ data: FacetRollup }>(
      `insert into rollups (org_id, kind, key, data, computed_at)
       select $1, 'facets', $2, jsonb_build_object('generation', $3::bigint, 'computedAt', to_json(now()), 'fields', coalesce(jsonb_object_agg(field, vals), '{}')), now()
       from (select field, jsonb_agg(jsonb_build_array(value, n) order by n desc, value) as vals
             from (select field, value, sum(n)::bigint as n from facet_counts where org_id = $1 and resource = $2 group by 1, 2) x group by field) y
       on conflict (org_id, kind, key) do update set data = excluded.data, computed_at = excluded.computed_at
       returning data`,
      [orgId, resource, generation],
    );
    rollup = rows[0]?.data;
  });
  if (done && rollup && env.TIERS) await env.TIERS.put(facetKvKey(orgId, resource), JSON.stringify(rollup)).catch(() => {});
  return done;
}

/** The cron's facet pass: every org and resource whose data moved since its rollup (or that has none). */
export async function refreshFacetRollups(env: AppEnv, db: Db): Promise<{ computed: number; skipped: number; left: number }> {
  const started = Date.now();
  const resources = Object.keys(FACETS);
  const { rows } = await db.query<{ org_id: string; resource: string }>(
    `select o.id as org_id, r.resource from orgs o cross join unnest($1::text[]) r(resource)
     left join org_generations g on g.org_id = o.id
     left join rollups ru on ru.org_id = o.id and ru.kind = 'facets' and ru.key = r.resource
     where ru.org_id is null
        or (ru.data->>'generation')::bigint < (select max(coalesce((g.changed->>s)::bigint, 0)) from jsonb_array_elements_text($2::jsonb -> r.resource) s)
     order by o.id, r.resource`,
    [resources, JSON.stringify(Object.fromEntries(resources.map((r) => [r, facetSources(r)])))],
  );
  let computed = 0;
  let skipped = 0;
  for (const [i, { org_id, resource }] of rows.entries()) {
    if (Date.now() - started > CRON_BUDGET_MS) return { computed, skipped, left: rows.length - i };
    if (await computeFacetRollup(env, db, org_id, resource)) computed++;
    else skipped++;
  }
  return { computed, skipped, left: 0 };
}
