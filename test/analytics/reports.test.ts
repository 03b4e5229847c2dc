import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import { computeReportRollup } from '../../src/resources/analytics/reports';
import { createOrg, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { privateTo, withDb } from '../support/sharing';
import { raiseGeneration, sql } from '../support/sql';
import { send } from '../support/write';

// Reports (issue 26 §6): measures grouped by dimensions under a filter, live and from the rollups
// the cron materializes at owner grain, checked against sums made here from the rows themselves.

const appEnv = env as unknown as AppEnv;

interface Deal {
  value: number | null;
  probability: number;
  status: string;
  close: string;
  owner: string;
}

const DEFINITION = {
  resource: 'deals',
  measures: [
    { fn: 'count' },
    { fn: 'sum', field: 'value' },
    { fn: 'avg', field: 'value' },
    { fn: 'min', field: 'probability' },
    { fn: 'max', field: 'expected_close_date' },
  ],
  dimensions: ['status', { field: 'expected_close_date', bucket: 'quarter' }],
  where: { field: 'probability', operator: 'greaterThanOrEqual', value: 10 },
};

/** The groups the definition above should give over `deals`, as the API renders them. */
function oracle(deals: Deal[]) {
  const groups = new Map<string, Deal[]>();
  for (const d of deals.filter((x) => x.probability >= 10)) {
    const q = `${d.close.slice(0, 4)}-Q${Math.ceil(Number(d.close.slice(5, 7)) / 3)}`;
    const key = JSON.stringify([d.status, q]);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, xs]) => {
      const [status, quarter] = JSON.parse(key);
      const valued = xs.filter((x) => x.value !== null).map((x) => x.value as number);
      const sum = valued.reduce((s, v) => s + v, 0);
      return {
        status,
        expected_close_date_quarter: quarter,
        count: String(xs.length),
        sum_value: valued.length ? sum.toFixed(2) : null,
        avg_value: valued.length ? (sum / valued.length).toFixed(4) : null,
        min_probability: String(Math.min(...xs.map((x) => x.probability))),
        max_expected_close_date: xs
          .map((x) => x.close)
          .sort()
          .at(-1),
      };
    });
}

describe('reports', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  const deals: Deal[] = [];

  beforeAll(async () => {
    org = await createOrg();
    [admin, member] = await Promise.all([tokenFor(org.users.admin), tokenFor(org.users.member)]);
    const [{ id: pipeline }] = await sql(`insert into pipelines (org_id, name, is_default) values ($1, 'Sales', true) returning id`, [org.id]);
    const [{ id: stage }] = await sql(`insert into pipeline_stages (org_id, pipeline_id, name, position) values ($1, $2, 'Open', 1) returning id`, [
      org.id,
      pipeline,
    ]);
    const owners = [org.users.admin.id, org.users.manager.id, org.users.member.id];
    for (let i = 0; i < 60; i++) {
      const d: Deal = {
        value: 100 * i + 0.5,
        probability: (i * 7) % 100,
        status: ['open', 'won', 'lost'][i % 3],
        close: `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
        owner: owners[(i * 5) % 3],
      };
      await sql(
        `insert into deals (org_id, name, value, probability, status, pipeline_id, stage_id, expected_close_date, owner_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [org.id, `D${i}`, d.value, d.probability, d.status, pipeline, stage, d.close, d.owner],
      );
      deals.push(d);
    }
    await privateTo(org.id, ['deal'], { hierarchy: true });
  });

  it('runs a definition live, in one statement, under the caller’s access', async () => {
    await send('POST', '/v1/reports/run', { token: admin, body: DEFINITION });
    const res = await send('POST', '/v1/reports/run', { token: admin, body: DEFINITION });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.columns).toEqual([
      'status',
      'expected_close_date_quarter',
      'count',
      'sum_value',
      'avg_value',
      'min_probability',
      'max_expected_close_date',
    ]);
    expect(res.body.data.rows).toEqual(oracle(deals));
    expect(res.body.data.truncated).toBe(false);
    expect(res.body.meta.source).toBe('live');
    expect(statementsOf(res)).toBeLessThanOrEqual(2);

    const theirs = await send('POST', '/v1/reports/run', { token: member, body: DEFINITION });
    expect(theirs.body.data.rows).toEqual(oracle(deals.filter((d) => d.owner === org.users.member.id)));

    // No dimension: one row; a limit below the groups: truncated.
    const total = await send('POST', '/v1/reports/run', { token: admin, body: { resource: 'deals', measures: [{ fn: 'count' }] } });
    expect(total.body.data.rows).toEqual([{ count: String(deals.length) }]);
    const cut = await send('POST', '/v1/reports/run', { token: admin, body: { ...DEFINITION, limit: 2 } });
    expect(cut.body.data).toMatchObject({ truncated: true, rows: oracle(deals).slice(0, 2) });
  });

  it('a definition outside the whitelist is a 400 naming the part, and runs nothing', async () => {
    for (const [body, path] of [
      [{ resource: 'users', measures: [{ fn: 'count' }] }, 'resource'],
      [{ resource: 'deals', measures: [] }, 'measures'],
      [{ resource: 'deals', measures: [{ fn: 'sum', field: 'name' }] }, 'measures[0].field'],
      [{ resource: 'deals', measures: [{ fn: 'sum', field: 'nope' }] }, 'measures[0].field'],
      [{ resource: 'deals', measures: [{ fn: 'avg' }] }, 'measures[0].field'],
      [{ resource: 'deals', measures: [{ fn: 'count', field: 'value' }] }, 'measures[0].field'],
      [{ resource: 'deals', measures: [{ fn: 'median', field: 'value' }] }, 'measures[0].fn'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], dimensions: ['name'] }, 'dimensions[0]'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], dimensions: ['id'] }, 'dimensions[0]'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], dimensions: [{ field: 'status', bucket: 'month' }] }, 'dimensions[0].field'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], dimensions: [{ field: 'created_at', bucket: 'decade' }] }, 'dimensions[0]'],
      [{ resource: 'deals', measures: [{ fn: 'count' }, { fn: 'count' }] }, 'measures[1]'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], where: { field: 'nope', operator: 'equals', value: 1 } }, 'nope'],
      [{ resource: 'deals', measures: [{ fn: 'count' }], extra: 1 }, '(root)'],
    ] as const) {
      const res = await send('POST', '/v1/reports/run', { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.body.errors), JSON.stringify(body)).toContain(path === '(root)' ? '' : path);
    }
  });

  it('a saved report is served from its rollup once the cron made it, summed over what each caller may see; stale after a write', async () => {
    const created = await send('POST', '/v1/reports', { token: member, body: { name: 'By quarter', definition: DEFINITION, maxAgeSeconds: 600 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.data.id;
    expect(created.body.data).toMatchObject({ name: 'By quarter', maxAgeSeconds: 600, createdBy: org.users.member.id });

    // Before the cron: live.
    const before = await get(`/v1/reports/${id}/result`, { token: admin });
    expect(before.body.meta.source).toBe('live');
    expect(before.body.data.rows).toEqual(oracle(deals));

    await worker.scheduled(createScheduledController({ cron: '*/10 * * * *', scheduledTime: Date.now() }), appEnv);
    const res = await get(`/v1/reports/${id}/result`, { token: admin });
    expect(res.body.meta).toMatchObject({ source: 'rollup', stale: false });
    expect(res.body.data.rows).toEqual(oracle(deals));
    await get(`/v1/reports/${id}/result`, { token: member });
    const theirs = await get(`/v1/reports/${id}/result`, { token: member });
    expect(theirs.body.meta.source).toBe('rollup');
    expect(theirs.body.data.rows).toEqual(oracle(deals.filter((d) => d.owner === org.users.member.id)));
    // The report's row and the owners' cells folded: two statements, no sharing round trip.
    expect(statementsOf(theirs)).toBeLessThanOrEqual(2);

    // A write: stale (recomputed in the background once older than maxAgeSeconds, and by the cron).
    await sql(`update deals set value = value + 1 where org_id = $1 and name = 'D1'`, [org.id]);
    const generation = await raiseGeneration(org.id, 'deals');
    const stale = await get(`/v1/reports/${id}/result`, { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(stale.body.meta).toMatchObject({ source: 'rollup', stale: true });
    // Stale and older than maxAgeSeconds: still served, and recomputed after the response.
    await sql(
      `update rollups set data = jsonb_set(data, '{computedAt}', to_jsonb((now() - interval '1 hour')::text)) where org_id = $1 and kind = 'report' and key = $2`,
      [org.id, id],
    );
    const old = await get(`/v1/reports/${id}/result`, { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(old.body.meta).toMatchObject({ source: 'rollup', stale: true });
    let recomputed = false;
    for (let i = 0; i < 100 && !recomputed; i++) {
      const [row] = await sql(`select (data->>'generation')::bigint as g from rollups where org_id = $1 and kind = 'report' and key = $2`, [org.id, id]);
      recomputed = String(row?.g) === generation;
      if (!recomputed) await new Promise((r) => setTimeout(r, 50));
    }
    expect(recomputed, 'the stale rollup was recomputed in the background').toBe(true);
    deals[1].value = (deals[1].value as number) + 1;
    const fresh = await get(`/v1/reports/${id}/result`, { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(fresh.body.meta).toMatchObject({ source: 'rollup', stale: false });
    expect(fresh.body.data.rows).toEqual(oracle(deals));

    // Only its creator or an admin changes it; a new definition drops the rollup until the cron.
    expect((await send('PATCH', `/v1/reports/${id}`, { token: await tokenFor(org.users.manager), body: { name: 'x' } })).status).toBe(403);
    const patched = await send('PATCH', `/v1/reports/${id}`, { token: member, body: { definition: { resource: 'deals', measures: [{ fn: 'count' }] } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const after = await get(`/v1/reports/${id}/result`, { token: admin });
    expect(after.body).toMatchObject({ meta: { source: 'live' }, data: { rows: [{ count: String(deals.length) }] } });

    expect((await get('/v1/reports', { token: admin })).body.data.map((r: { id: string }) => r.id)).toContain(id);
    expect((await send('DELETE', `/v1/reports/${id}`, { token: admin })).status).toBe(204);
    expect((await get(`/v1/reports/${id}/result`, { token: admin })).status).toBe(404);
    expect(await sql(`select 1 from rollups where org_id = $1 and kind = 'report' and key = $2`, [org.id, id])).toEqual([]);
  });

  it('another org’s report is a 404; a stored definition that no longer passes is not materialized', async () => {
    const other = await createOrg();
    const [{ id }] = await sql(`insert into reports (org_id, name, definition) values ($1, 'x', $2::jsonb) returning id`, [
      other.id,
      JSON.stringify({ resource: 'deals', measures: [{ fn: 'sum', field: 'gone' }] }),
    ]);
    expect((await get(`/v1/reports/${id}/result`, { token: admin })).status).toBe(404);
    expect((await get(`/v1/reports/${id}`, { token: admin })).status).toBe(404);
    expect(await withDb((db) => computeReportRollup(db, other.id, id))).toBe(false);
  });
});
