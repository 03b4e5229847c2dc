import { beforeAll, describe, expect, it } from 'vitest';
import { plannedRows, uuidBelow } from '../../src/query/count';
import { Params } from '../../src/query/params';
import { parseQueryString } from '../../src/query/parse-query-string';
import { computeDealCube } from '../../src/resources/analytics/deal-cube';
import { kanbanSql } from '../../src/resources/analytics/deals';
import { FACET_SAMPLE, liveFacetSql } from '../../src/resources/analytics/facet-defs';
import { planRows } from '../../src/resources/analytics/rows';
import { RESOURCES } from '../../src/resources/registry';
import type { UserGrants } from '../../src/sharing/types';
import { demoOrg, seededUser } from '../support/seeded';
import { grantsOf, withDb } from '../support/sharing';
import { explain } from '../support/sql';

// Facets, the kanban and the deal cube on the seeded dataset (about 300k contacts and 100k deals
// in the demo org): a sampled facet request reads about FACET_SAMPLE rows whatever the number of
// matches; the kanban reads at most per_stage deals per stage from the stage's recency index;
// the cube's org totals are a few hundred cells, not the org's deals. Never a scan of a big table.
const BIG = ['contacts', 'deals', 'activities', 'addresses', 'companies', 'leads'];

describe('analytics plans on seeded data', () => {
  let orgId: string;
  let member: UserGrants;

  beforeAll(async () => {
    ({ orgId } = await demoOrg());
    member = await grantsOf(orgId, (await seededUser('member@demo.test')).id);
  });

  for (const filter of ['status=eq.active', 'q=son', 'status=eq.active&last_name=ilike.*son*&created_at=gte.2024-01-01']) {
    for (const as of ['admin', 'member'] as const) {
      it(`facets under ${filter}, as ${as}: a sample of about ${FACET_SAMPLE} rows, read by index`, async () => {
        const { fromWhere, values } = planRows(orgId, RESOURCES.contacts, parseQueryString(new URLSearchParams(filter)), as === 'member' ? member : undefined);
        const planned = await withDb((db) => plannedRows(db, `select 1 ${fromWhere}`, values));
        const fields = ['status', 'lifecycle_stage', 'country'];
        const bounded = planned > FACET_SAMPLE ? `${fromWhere} and c.id < $${values.length + 1}::uuid` : fromWhere;
        const args = planned > FACET_SAMPLE ? [...values, uuidBelow(FACET_SAMPLE / planned).bound] : values;
        const e = await explain(liveFacetSql(RESOURCES.contacts, fields, bounded), args, { analyze: true });
        expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
        // The rows the sample keeps (the matches under the id bound): about FACET_SAMPLE, or all of them when fewer are expected.
        const [kept] = await withDb((db) => db.query<{ n: number }>(`select count(*)::int as n ${bounded}`, args)).then((r) => r.rows);
        expect(kept.n).toBeLessThan(3 * FACET_SAMPLE);
        // Each kept row's address is one probe by primary key.
        expect(e.tableRows.addresses ?? 0).toBeLessThanOrEqual(kept.n);
      });
    }
  }

  it('kanban of the largest pipeline: per_stage deals per stage from the stage recency index, totals from the cube', async () => {
    const [{ pipeline_id: pipeline, stages }] = await withDb((db) =>
      db.query<{ pipeline_id: string; stages: number }>(
        `select pipeline_id, count(distinct stage_id)::int as stages from deals where org_id = $1 and deleted_at is null group by 1 order by count(*) desc limit 1`,
        [orgId],
      ),
    ).then((r) => r.rows);
    const perStage = 20;
    const { fromWhere, values } = planRows(orgId, RESOURCES.deals, parseQueryString(new URLSearchParams('')), undefined);
    const p = new Params(orgId);
    const rows = p.adopt(fromWhere, values);
    expect(await withDb((db) => computeDealCube(db, orgId))).toBe(true);
    const sql = kanbanSql(
      (stage) =>
        `select coalesce(sum(d.n), 0)::int as count, coalesce(sum(d.value), 0)::text as value from deal_cells d where d.org_id = $1 and d.whole and d.stage_id = ${stage}`,
      rows,
      p,
      pipeline,
      perStage,
    );
    const e = await explain(sql, p.values, { analyze: true });
    expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
    expect(e.indexes).toContain('deals_org_stage_updated_idx');
    expect(e.tableRows.deals ?? 0).toBeLessThanOrEqual(stages * perStage);
  });

  it('pipeline stats from the cube: the org cells, not the deals', async () => {
    const e = await explain(
      `select d.status, coalesce(sum(d.n), 0)::int as count from deal_cells d where d.org_id = $1 and d.whole group by grouping sets ((d.status), ())`,
      [orgId],
      { analyze: true },
    );
    expect(e.seqScans).not.toContain('deals');
    const [{ n }] = await withDb((db) => db.query<{ n: number }>(`select count(*)::int as n from deal_cells where org_id = $1 and whole`, [orgId])).then(
      (r) => r.rows,
    );
    const [{ deals }] = await withDb((db) =>
      db.query<{ deals: number }>(`select count(*)::int as deals from deals where org_id = $1 and deleted_at is null`, [orgId]),
    ).then((r) => r.rows);
    expect(n * 20).toBeLessThan(deals);
  });
});
