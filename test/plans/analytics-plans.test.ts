import { beforeAll, describe, expect, it } from 'vitest';
import { plannedRows } from '../../src/query/count';
import { Params } from '../../src/query/params';
import { parseQueryString } from '../../src/query/parse-query-string';
import { computeDealCube, cubeFilters, wholeMonths } from '../../src/resources/analytics/deal-cube';
import { createdStatsSql, kanbanSql } from '../../src/resources/analytics/deals';
import { FACET_MIN_SAMPLE, FACET_READ_BUDGET, FACET_SAMPLE, liveFacetSql, planSample, sampleFromWhere } from '../../src/resources/analytics/facet-defs';
import { planRows } from '../../src/resources/analytics/rows';
import { RESOURCES } from '../../src/resources/registry';
import type { UserGrants } from '../../src/sharing/types';
import { demoOrg, seededUser } from '../support/seeded';
import { grantsOf, withDb } from '../support/sharing';
import { explain } from '../support/sql';

// Facets, the kanban and the deal cube on the seeded dataset (about 300k contacts and 100k deals
// in the demo org): a sampled facet request keeps about FACET_SAMPLE matches, or reads at most
// FACET_READ_BUDGET rows, whatever the number of matches; the kanban reads at most per_stage deals per stage from the stage's recency index;
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
      it(`facets under ${filter}, as ${as}: a sample within the read budget, read by index`, async () => {
        const req = parseQueryString(new URLSearchParams(filter));
        const { fromWhere, values } = planRows(orgId, RESOURCES.contacts, req, as === 'member' ? member : undefined);
        const matches = await withDb((db) => plannedRows(db, `select 1 ${fromWhere}`, values));
        const base = await withDb((db) => plannedRows(db, 'select 1 from contacts c where c.org_id = $1 and c.deleted_at is null', [orgId]));
        const plan = planSample(RESOURCES.contacts, matches, base);
        const sample = sampleFromWhere(RESOURCES.contacts, fromWhere, values, plan);
        const e = await explain(liveFacetSql(RESOURCES.contacts, ['status', 'lifecycle_stage', 'country'], sample.fromWhere), sample.values, { analyze: true });
        expect(e.seqScans.filter((r) => BIG.includes(r))).toEqual([]);
        // The rows the sample keeps: about FACET_SAMPLE, fewer within the budget, or all of them when fewer are expected.
        const [kept] = await withDb((db) => db.query<{ n: number }>(`select count(*)::int as n ${sample.fromWhere}`, sample.values)).then((r) => r.rows);
        expect(kept.n).toBeLessThan(3 * FACET_SAMPLE);
        if (plan.fenced) {
          // The org's lowest ids first, through the (org_id, id) index: at most the budget read, whatever the filter.
          expect(e.indexes).toContain('contacts_org_id_idx');
          expect(e.tableRows.contacts).toBeLessThan(1.5 * FACET_READ_BUDGET);
          expect(kept.n).toBeGreaterThan(FACET_MIN_SAMPLE / 2);
        }
        // A text search or the three filters keep 5–10 % of the org's rows: the admin's sample is the budget's range.
        if (as === 'admin' && filter !== 'status=eq.active') expect(plan).toMatchObject({ fenced: true, fraction: FACET_READ_BUDGET / base });
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

  it('pipeline stats under a created_at range: whole months from the created-month cells, the partial edge months by index', async () => {
    expect(await withDb((db) => computeDealCube(db, orgId))).toBe(true);
    const [{ month }] = await withDb((db) =>
      db.query<{ month: string }>(
        `select to_char(date_trunc('month', percentile_disc(0.5) within group (order by created_at) at time zone 'UTC'), 'YYYY-MM-DD') as month
         from deals where org_id = $1 and deleted_at is null`,
        [orgId],
      ),
    ).then((r) => r.rows);
    const edgeRows = async (from: string, to: string) =>
      (
        await withDb((db) =>
          db.query<{ n: number }>(`select count(*)::int as n from deals where org_id = $1 and deleted_at is null and created_at >= $2 and created_at < $3`, [
            orgId,
            from,
            to,
          ]),
        )
      ).rows[0].n;
    const [y, m] = month.split('-').map(Number);
    const next = new Date(Date.UTC(y, m, 1)).toISOString();
    const mid = `${month.slice(0, 8)}15T00:00:00Z`;
    // A month-aligned bound reads no deal; a mid-month one reads that month's from the 15th on.
    for (const [range, edge] of [
      [`created_at=gte.${month}`, 0],
      [`created_at=gte.${mid}`, await edgeRows(mid, next)],
    ] as const) {
      const req = parseQueryString(new URLSearchParams(range));
      const p = new Params(orgId);
      const taken = cubeFilters(req, true);
      expect(taken?.bounds, range).toHaveLength(1);
      const months = wholeMonths(taken?.bounds ?? [], p);
      const { fromWhere, values } = planRows(orgId, RESOURCES.deals, req, undefined);
      const e = await explain(createdStatsSql('d.org_id = $1 and d.whole', p.adopt(fromWhere, values), months), p.values, { analyze: true });
      expect(
        e.seqScans.filter((r) => BIG.includes(r)),
        range,
      ).toEqual([]);
      expect(e.tableRows.deals ?? 0, range).toBeLessThanOrEqual(edge);
    }
  });
});
