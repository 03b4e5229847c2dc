import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { LRUCache } from 'lru-cache';
import { CACHE_POLICY, isolateCaches } from '../../cache/isolate';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import type { AppContext } from '../../http/context';
import { createRouter, errorResponses } from '../../http/openapi';
import type { ListRequest } from '../../query/ast';
import { countFromPrefer } from '../../query/parse-query-string';
import type { ResourceDef } from '../../query/resource';
import type { UserGrants } from '../../sharing/types';
import { underAccess } from '../access';
import { type TierPolicy, throughTiers } from '../tiers';
import { FACETED, FACETS, facetSources, liveFacets } from './facet-defs';
import { computeFacetRollup, type FacetRollup, facetKvKey, ROLLUP_MAX_AGE_MS } from './rollups';
import { filteredRows, filtersOf } from './rows';
import { ROLLUP_LIVE_ROWS, revalidate, rollupScope } from './scope';

/**
 * Facets (issue 26 §5, decision 0052): counts of each value of a few fields over the rows a
 * list with the same filters reads, under the caller's access.
 *
 * - Under a filter (or a search) they are computed live, in one statement over a uniform
 *   sample of about FACET_SAMPLE matches when the planner expects more (liveFacets), fewer
 *   where that would read more than FACET_READ_BUDGET rows, the counts scaled up and flagged
 *   `approximate`. `Prefer: count=exact` counts every row, under the statement timeout.
 * - Without a filter they come from the rollups the cron keeps (every 5 minutes, at owner grain):
 *   whoever sees every record reads the org's totals (Workers KV, else one row); a member whose
 *   access is owners only reads the sum over those owners. Criteria rules and manual shares
 *   widen access beyond owners: those callers are answered live.
 */

const TOP_DEFAULT = 10;
const TOP_MAX = 100;

const FacetValue = z.object({ value: z.string(), count: z.int() });
const Facet = z.object({
  values: z.array(FacetValue).openapi({ description: 'The `top` most frequent values, most frequent first' }),
  other: z.int().openapi({ description: 'Rows holding any other value' }),
  missing: z.int().openapi({ description: 'Rows without a value (null)' }),
  distinct: z.int().openapi({ description: 'How many different values were seen' }),
});
const Facets = z
  .object({
    facets: z.record(z.string(), Facet),
    total: z.int().openapi({ description: 'Rows counted (an estimate when approximate)' }),
    approximate: z.boolean().openapi({
      description:
        'Counts scaled up from a uniform sample of the matches (more than 2,500 were expected): about 2,500 of them, or as many as 10,000 rows read hold (at least about 500)',
    }),
  })
  .openapi('Facets');
const FacetsMeta = z.object({
  requestId: z.string(),
  source: z.enum(['live', 'rollup']).openapi({ description: 'Counted from the rows, or summed from the precomputed rollup' }),
  tier: z.enum(['memory', 'edge-cache', 'kv', 'db']).openapi({ description: 'Which read tier answered (db: computed for this request)' }),
  ageMs: z.int(),
  computedAt: z.string().openapi({ description: 'When the counts were computed' }),
  stale: z.boolean().openapi({ description: 'A write to the resource since the rollup was computed (it is refreshed within 5 minutes)' }),
  sample: z.int().optional().openapi({ description: 'Rows read, when approximate' }),
});

type Counts = Map<string, Map<string | null, number>>;
type FacetsBody = z.infer<typeof Facets>;

/** Top `top` values per field, the rest folded into `other`, nulls into `missing`. */
function fold(fields: readonly string[], counts: Counts, top: number, scale = 1): FacetsBody['facets'] {
  const out: FacetsBody['facets'] = {};
  for (const field of fields) {
    const values = [...(counts.get(field) ?? new Map()).entries()];
    const present = values.filter((e): e is [string, number] => e[0] !== null).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    const s = (n: number) => Math.round(n * scale);
    out[field] = {
      values: present.slice(0, top).map(([value, n]) => ({ value, count: s(n) })),
      other: s(present.slice(top).reduce((sum, [, n]) => sum + n, 0)),
      missing: s(values.find((e) => e[0] === null)?.[1] ?? 0),
      distinct: present.length,
    };
  }
  return out;
}

function add(counts: Counts, field: string, value: string | null, n: number): void {
  const m = counts.get(field) ?? new Map<string | null, number>();
  counts.set(field, m);
  m.set(value, (m.get(value) ?? 0) + n);
}

async function live(c: Context<AppContext>, resource: ResourceDef, req: ListRequest, fields: readonly string[], top: number, exact: boolean) {
  let grants: UserGrants | undefined;
  const got = await underAccess(c, (access) => {
    grants = access;
    const { fromWhere, values } = filteredRows(c, resource, req, access);
    return liveFacets(c.var.services.db, resource, fields, fromWhere, values, { exact, deleted: req.deleted, estimates: isolateCaches().estimates });
  });
  const counts: Counts = new Map();
  for (const r of got.rows) add(counts, fields[r.f], r.v, r.n);
  const approximate = got.fraction < 1;
  const scale = 1 / got.fraction;
  return {
    data: { facets: fold(fields, counts, top, scale), total: Math.round(got.read * scale), approximate },
    meta: { source: 'live' as const, computedAt: new Date().toISOString(), stale: false, ...(approximate ? { sample: got.read } : {}) },
    grants,
  };
}

/** Facet answers in the read tiers: isolate memory and the data centre's cache, keyed by generation and access. */
const FACET_POLICY: TierPolicy = { memory: true, edgeTtlSeconds: 60, kvTtlSeconds: 0 };

/** Org facet totals this isolate read lately (CACHE_POLICY.rollups). */
const heldRollups = new LRUCache<string, FacetRollup>({ max: CACHE_POLICY.rollups.max, ttl: CACHE_POLICY.rollups.ttlMs });

/**
 * The unfiltered facets from the rollup, or undefined when this caller must be answered live
 * (no rollup yet, criteria rules or manual shares; stale, when an exact count is asked or the
 * rows are few enough to count live).
 */
async function fromRollup(c: Context<AppContext>, resource: ResourceDef, fields: readonly string[], top: number, exact: boolean) {
  const scope = await rollupScope(c, resource, facetSources(resource.name));
  if (!scope) return undefined;
  const { orgId } = c.var.auth;
  const counts: Counts = new Map();
  let state: { generation: number; computedAt: string } | undefined;
  if (scope.kind === 'all') {
    // The org's totals: isolate memory, Workers KV, else the rollup's row.
    const memoKey = `${orgId}:${resource.name}`;
    // A held copy serves while no write has moved the data since it was computed; else the stores are asked again.
    const held = heldRollups.get(memoKey);
    let rollup =
      held && held.generation >= scope.current
        ? held
        : ((await c.env.TIERS?.get<FacetRollup>(facetKvKey(orgId, resource.name), 'json').catch(() => null)) ?? undefined);
    if (!rollup) {
      const { rows } = await c.var.services.db.query<{ data: FacetRollup }>(`select data from rollups where org_id = $1 and kind = 'facets' and key = $2`, [
        orgId,
        resource.name,
      ]);
      rollup = rows[0]?.data;
    }
    if (!rollup || fields.some((f) => !rollup.fields[f])) return undefined;
    heldRollups.set(memoKey, rollup);
    for (const f of fields) for (const [v, n] of rollup.fields[f]) add(counts, f, v, n);
    state = { generation: rollup.generation, computedAt: rollup.computedAt };
  } else {
    const shared = scope.shared(5);
    // One statement: the rollup's state, whether manual shares widen the caller's access (then
    // no sum is read: the live path answers), and the sum over the owners they read.
    const { rows } = await c.var.services.db.query<{
      field: string | null;
      value: string | null;
      n: string;
      generation: string | null;
      computed_at: string | null;
      shared: boolean | null;
    }>(
      `with st as (select (data->>'generation')::bigint as generation, data->>'computedAt' as computed_at from rollups where org_id = $1 and kind = 'facets' and key = $2),
         sh as (select ${shared.sql} as shared)
       select null::text as field, null::text as value, 0::bigint as n, (select generation from st)::text as generation, (select computed_at from st) as computed_at, (select shared from sh) as shared
       union all
       select fc.field, fc.value, sum(fc.n)::bigint, null, null, null from facet_counts fc
       where fc.org_id = $1 and fc.resource = $2 and fc.field = any($3::text[]) and fc.owner_id = any($4::uuid[])
         and not (select shared from sh) and exists (select 1 from st)
       group by fc.field, fc.value`,
      [orgId, resource.name, fields, scope.owners, ...shared.values],
    );
    const [head, ...sums] = rows;
    if (!head || head.shared || head.generation === null || head.computed_at === null) return undefined;
    for (const r of sums) add(counts, r.field as string, r.value, Number(r.n));
    state = { generation: Number(head.generation), computedAt: head.computed_at };
  }
  const stale = state.generation < scope.current;
  const first = counts.get(fields[0]);
  const total = first ? [...first.values()].reduce((s, n) => s + n, 0) : 0;
  // Stale: exact counts were asked for, or there are few enough rows to count them live.
  if (stale && (exact || total <= ROLLUP_LIVE_ROWS)) return undefined;
  revalidate(c, `facets:${orgId}:${resource.name}`, { computedAt: state.computedAt, stale }, ROLLUP_MAX_AGE_MS, (db, env) =>
    computeFacetRollup(env, db, orgId, resource.name),
  );
  return {
    data: { facets: fold(fields, counts, top), total, approximate: false },
    meta: { source: 'rollup' as const, computedAt: state.computedAt, stale },
    grants: scope.grants,
  };
}

/** `fields=a,b` (each a facet of the resource; all of them when absent) and `top`. */
function facetParams(c: Context<AppContext>, resource: ResourceDef): { fields: string[]; top: number } {
  const defs = FACETS[resource.name];
  const raw = c.req.query('fields');
  const fields = raw === undefined ? Object.keys(defs) : [...new Set(raw.split(',').map((f) => f.trim()))];
  const unknown = fields.filter((f) => !Object.hasOwn(defs, f));
  if (!fields.length || unknown.length)
    throw new AppError(
      'invalid_query',
      `fields: ${unknown.length ? `no facet ${unknown.map((f) => JSON.stringify(f)).join(', ')}` : 'empty'}; ${resource.name} has ${Object.keys(defs).join(', ')}.`,
      [{ path: 'fields', message: 'unknown facet' }],
    );
  const topRaw = c.req.query('top') ?? String(TOP_DEFAULT);
  const top = /^\d{1,3}$/.test(topRaw) ? Number(topRaw) : Number.NaN;
  if (!(top >= 1 && top <= TOP_MAX))
    throw new AppError('invalid_query', `top: a whole number from 1 to ${TOP_MAX}.`, [{ path: 'top', message: 'out of range' }]);
  return { fields, top };
}

function facetRoute(resource: ResourceDef) {
  return createRoute({
    method: 'get',
    path: `/v1/${resource.name}/facets`,
    tags: [resource.name],
    summary: `Counts per value of ${Object.keys(FACETS[resource.name]).join(', ')}`,
    description: `Any /v1/${resource.name} filter or \`q\` search narrows the rows counted, under the caller’s access. Without one, the counts come from the rollup the cron keeps (\`meta.source: rollup\`, \`computedAt\`, \`stale\`); with one they are computed live, over a uniform sample of about 2,500 when more are expected to match, or of the matches among 10,000 rows read where the filter keeps few (\`approximate\`) unless \`Prefer: count=exact\`.`,
    middleware: [requireAuth()] as const,
    request: {
      query: z.looseObject({
        fields: z
          .string()
          .optional()
          .openapi({ description: `Comma-separated facets (default all): ${Object.keys(FACETS[resource.name]).join(', ')}` }),
        top: z.string().optional().openapi({ description: 'Values listed per facet, 1–100 (default 10); the rest are `other`' }),
      }),
    },
    responses: {
      200: { description: 'The facets', content: { 'application/json': { schema: z.object({ data: Facets, meta: FacetsMeta }) } } },
      ...errorResponses,
    },
  });
}

export const facetRoutes = createRouter();
for (const resource of FACETED) {
  facetRoutes.openapi(facetRoute(resource), async (c) => {
    const { fields, top } = facetParams(c, resource);
    const req = filtersOf(c, ['fields', 'top']);
    const exact = countFromPrefer(c.req.header('Prefer')) === 'exact';
    const unfiltered = !req.where.length && req.q === undefined && req.deleted === 'exclude';
    // Through the read tiers like a list: a repeated request under the same access and generation
    // is answered from memory or the Cache API (`meta.tier`); `Cache-Control: no-cache` computes it.
    return throughTiers(c, {
      policy: FACET_POLICY,
      resource,
      key: { kind: 'facets', req, fields, top, exact },
      load: async () => {
        const answer = (unfiltered ? await fromRollup(c, resource, fields, top, exact) : undefined) ?? (await live(c, resource, req, fields, top, exact));
        return { text: JSON.stringify(answer.data), info: answer.meta, grants: answer.grants };
      },
      render: (served) =>
        c.body(
          `{"data":${served.entry.text},"meta":${JSON.stringify({ requestId: c.var.requestId, ...served.entry.info, tier: served.tier, ageMs: Math.round(served.ageMs) })}}`,
          200,
          { 'Content-Type': 'application/json' },
        ),
    }) as unknown as ReturnType<typeof c.json<{ data: FacetsBody; meta: z.infer<typeof FacetsMeta> }, 200>>;
  });
}
