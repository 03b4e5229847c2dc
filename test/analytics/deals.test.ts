import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import worker from '../../src/index';
import { computeDealCube } from '../../src/resources/analytics/deal-cube';
import { createOrg, createPipeline, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { privateTo, withDb } from '../support/sharing';
import { raiseGeneration, sql } from '../support/sql';

// Deal aggregates (issue 26 §1): stats, forecast and kanban, each one aggregate statement over
// exactly the deals a /v1/deals list with the same filters reads under the caller's access,
// checked against sums computed here from the rows themselves.

/**
 * A request made twice: the second is the one counted (the first may load the caller's user row
 * or grants); it sends the aggregate and, pipelined with it, the sharing version check.
 */
const warm = async (path: string, token: string) => {
  await get(path, { token });
  return get(path, { token });
};

interface Deal {
  id: string;
  value: number | null;
  probability: number | null;
  status: string;
  stage: number;
  close: string | null;
  owner: string;
}

describe('deal aggregates', () => {
  let org: TestOrg;
  let admin: string;
  let member: string;
  let pipeline: string;
  let stages: string[];
  const deals: Deal[] = [];

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    member = await tokenFor(org.users.member);
    ({ id: pipeline, stages } = await createPipeline(org.id, ['Lead', 'Proposal', ['Won', true, false], ['Lost', false, true]]));
    const owners = [org.users.admin.id, org.users.member.id, org.users.manager.id];
    for (let i = 0; i < 30; i++) {
      const stage = i % 4;
      const d: Deal = {
        id: '',
        value: i % 7 === 0 ? 0 : 100 * (i + 1),
        probability: i % 5 === 0 ? 0 : (i * 10) % 100,
        status: stage === 2 ? 'won' : stage === 3 ? 'lost' : 'open',
        stage,
        close: i % 6 === 0 ? null : `2026-${String((i % 12) + 1).padStart(2, '0')}-15`,
        owner: owners[i % 3],
      };
      const [{ id }] = await sql(
        `insert into deals (org_id, name, value, probability, status, pipeline_id, stage_id, expected_close_date, owner_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
        [org.id, `Deal ${i}`, d.value, d.probability, d.status, pipeline, stages[stage], d.close, d.owner],
      );
      deals.push({ ...d, id });
    }
  });

  const sum = (xs: Deal[]) => xs.reduce((a, d) => a + (d.value ?? 0), 0).toFixed(2);
  const weighted = (xs: Deal[]) => xs.reduce((a, d) => a + ((d.value ?? 0) * (d.probability ?? 0)) / 100, 0);

  it('stats: counts and sums by status, weighted value, average and win rate, in one aggregate statement', async () => {
    const res = await warm('/v1/deals/stats', admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(statementsOf(res)).toBeLessThanOrEqual(2);
    const { byStatus, total, averageValue, winRate } = res.body.data;
    for (const status of ['lost', 'open', 'won']) {
      const mine = deals.filter((d) => d.status === status);
      const row = byStatus.find((r: { status: string }) => r.status === status);
      expect(row).toEqual({ status, count: mine.length, value: sum(mine), weighted: weighted(mine).toFixed(2) });
    }
    expect(total).toEqual({ count: deals.length, value: sum(deals), weighted: weighted(deals).toFixed(2) });
    const valued = deals.filter((d) => d.value !== null);
    expect(Number(averageValue)).toBeCloseTo(Number(sum(valued)) / valued.length, 2);
    const [won, lost] = [deals.filter((d) => d.status === 'won').length, deals.filter((d) => d.status === 'lost').length];
    expect(winRate).toBeCloseTo(won / (won + lost), 10);
  });

  it('stats follow the list’s filters and the caller’s access', async () => {
    const owner = org.users.manager.id;
    const filtered = await get(`/v1/deals/stats?owner_id=eq.${owner}&status=neq.lost`, { token: admin });
    const mine = deals.filter((d) => d.owner === owner && d.status !== 'lost');
    expect(filtered.body.data.total).toMatchObject({ count: mine.length, value: sum(mine) });

    // Private deals: the member counts only their own, like their /v1/deals list.
    const restore = await privateTo(org.id, ['deal']);
    try {
      const stats = await get('/v1/deals/stats', { token: member });
      const theirs = deals.filter((d) => d.owner === org.users.member.id);
      expect(stats.body.data.total).toMatchObject({ count: theirs.length, value: sum(theirs) });
      const list = await get('/v1/deals?limit=0', { token: member, headers: { Prefer: 'count=exact', 'Cache-Control': 'no-cache' } });
      expect(list.body.count.value).toBe(theirs.length);
    } finally {
      await restore();
    }
  });

  it('forecast by month and by quarter, weighted and unweighted', async () => {
    for (const period of ['month', 'quarter'] as const) {
      const res = await warm(`/v1/deals/forecast?period=${period}&status=eq.open`, admin);
      expect(res.status).toBe(200);
      expect(statementsOf(res)).toBeLessThanOrEqual(2);
      const open = deals.filter((d) => d.status === 'open' && d.close);
      const key = (d: Deal) => (period === 'month' ? (d.close as string).slice(0, 7) : `2026-Q${Math.ceil(Number((d.close as string).slice(5, 7)) / 3)}`);
      const expected = [...new Set(open.map(key))].sort().map((p) => {
        const xs = open.filter((d) => key(d) === p);
        return { period: p, count: xs.length, value: sum(xs), weighted: weighted(xs).toFixed(2) };
      });
      expect(res.body.data).toEqual({ period, periods: expected });
    }
    expect((await get('/v1/deals/forecast?period=week', { token: admin })).status).toBe(400);
  });

  it('kanban: every stage with its count, value and first deals in one statement; another org’s pipeline is a 404', async () => {
    const res = await warm(`/v1/pipelines/${pipeline}/kanban?per_stage=3`, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(statementsOf(res)).toBeLessThanOrEqual(2);
    const board = res.body.data;
    expect(board.pipeline).toEqual({ id: pipeline, name: 'Sales' });
    expect(board.stages.map((s: { name: string }) => s.name)).toEqual(['Lead', 'Proposal', 'Won', 'Lost']);
    board.stages.forEach((s: { id: string; count: number; value: string; deals: Array<{ id: string }>; more: string | null }, i: number) => {
      const inStage = deals.filter((d) => d.stage === i);
      expect(s.count).toBe(inStage.length);
      expect(s.value).toBe(sum(inStage));
      expect(s.deals).toHaveLength(Math.min(3, inStage.length));
      for (const d of s.deals) expect(inStage.map((x) => x.id)).toContain(d.id);
      expect(s.more).toBe(inStage.length > 3 ? `/v1/deals?stage_id=eq.${s.id}&order=updated_at.desc` : null);
    });
    const filtered = await get(`/v1/pipelines/${pipeline}/kanban?owner_id=eq.${org.users.admin.id}`, { token: admin });
    expect(filtered.body.data.stages[0].count).toBe(deals.filter((d) => d.stage === 0 && d.owner === org.users.admin.id).length);

    const other = await createOrg();
    expect((await get(`/v1/pipelines/${pipeline}/kanban`, { token: await tokenFor(other.users.admin) })).status).toBe(404);
    expect((await get(`/v1/pipelines/${pipeline}/kanban?per_stage=0`, { token: admin })).status).toBe(400);
    expect((await get('/v1/deals/stats?order=value.desc', { token: admin })).status).toBe(400);
    expect((await get('/v1/deals/stats?nope=eq.1', { token: admin })).status).toBe(400);
  });
});

describe('the deal cube', () => {
  // Stats, forecast and kanban totals read the cube (counts and sums by owner, pipeline, stage,
  // status and close month, or created month) when the filters are on its dimensions: the same
  // answers as summing the deals, for admins and members alike. `value=gte.0` selects every deal
  // through a filter the cube has no dimension for: the live answer to compare with.
  let org: TestOrg;
  let admin: string;
  let member: string;
  let pipeline: string;
  const ALL = 'value=gte.0';

  beforeAll(async () => {
    org = await createOrg();
    [admin, member] = await Promise.all([tokenFor(org.users.admin), tokenFor(org.users.member)]);
    let stages: string[];
    ({ id: pipeline, stages } = await createPipeline(org.id, ['S1', 'S2', 'S3']));
    const owners = [org.users.admin.id, org.users.manager.id, org.users.member.id, null];
    for (let i = 0; i < 80; i++) {
      await sql(
        `insert into deals (org_id, name, value, probability, status, pipeline_id, stage_id, expected_close_date, owner_id, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          org.id,
          `C${i}`,
          (i * 37.25).toFixed(2),
          (i * 13) % 100,
          ['open', 'won', 'lost'][i % 3],
          pipeline,
          stages[i % 3],
          i % 5 === 0 ? null : `2026-${String((i % 12) + 1).padStart(2, '0')}-0${(i % 9) + 1}`,
          owners[i % 4],
          // Spread over 2025, some on a month's first and last instants.
          i % 7 === 0
            ? `2025-${String((i % 12) + 1).padStart(2, '0')}-01T00:00:00Z`
            : i % 11 === 0
              ? `2025-${String((Math.floor(i / 11) % 11) + 1).padStart(2, '0')}-${['31', '28', '31', '30', '31', '30', '31', '31', '30', '31', '30'][Math.floor(i / 11) % 11]}T23:59:59.999999Z`
              : `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:30:00Z`,
        ],
      );
    }
    await privateTo(org.id, ['deal'], { hierarchy: true });
    expect(await withDb((db) => computeDealCube(db, org.id))).toBe(true);
  });

  it('stats, forecast and kanban from the cube equal the live sums, under filters and access', async () => {
    for (const token of [admin, member]) {
      for (const filter of ['', `owner_id=eq.${org.users.member.id}`, 'status=in.(open,won)']) {
        for (const path of [
          '/v1/deals/stats',
          '/v1/deals/forecast?period=quarter',
          '/v1/deals/forecast?period=month',
          `/v1/pipelines/${pipeline}/kanban?per_stage=2`,
        ]) {
          const join = path.includes('?') ? '&' : '?';
          const cube = await get(`${path}${filter ? `${join}${filter}` : ''}`, { token });
          const live = await get(`${path}${join}${ALL}${filter ? `&${filter}` : ''}`, { token });
          expect(cube.status, path).toBe(200);
          expect(cube.body.meta, `${path} ${filter}`).toMatchObject({ source: 'rollup', stale: false });
          expect(live.body.meta.source).toBe('live');
          if (path.includes('kanban')) {
            // The first deals are the same rows; `more` repeats the request's own filters.
            const strip = (b: { stages: Array<Record<string, unknown>> }) => b.stages.map(({ more: _, ...s }) => s);
            expect(strip(cube.body.data), `${path} ${filter}`).toEqual(strip(live.body.data));
          } else expect(cube.body.data, `${path} ${filter}`).toEqual(live.body.data);
        }
      }
    }
    // The member's totals are theirs only.
    const mine = await get('/v1/deals/stats', { token: member });
    const [{ n }] = await sql(`select count(*)::int as n from deals where org_id = $1 and owner_id = $2`, [org.id, org.users.member.id]);
    expect(mine.body.data.total.count).toBe(n);
  });

  it('stats under a created_at range: whole months from the created-month cells, the partial ones live, equal to the live sums', async () => {
    for (const token of [admin, member]) {
      for (const range of [
        'created_at=gte.2025-03-01',
        'created_at=gte.2025-03-15&created_at=lt.2025-09-01',
        'created_at=gt.2025-03-01T00:00:00Z&created_at=lte.2025-08-31T23:59:59.999999Z',
        'created_at=gte.2025-02-28T23:59:59.999999Z&created_at=lt.2025-12-01T00:00:00.000001Z',
        'created_at=gte.2025-05-10&created_at=lt.2025-05-20',
        'created_at=gte.2025-05-10&created_at=lt.2025-06-20',
        `created_at=lt.2025-04-10&status=eq.won`,
        `created_at=gte.2025-06-01&owner_id=eq.${org.users.member.id}`,
      ]) {
        const cube = await get(`/v1/deals/stats?${range}`, { token });
        const live = await get(`/v1/deals/stats?${range}&${ALL}`, { token });
        expect(cube.status, range).toBe(200);
        expect(cube.body.meta, range).toMatchObject({ source: 'rollup', stale: false });
        expect(live.body.meta.source).toBe('live');
        expect(cube.body.data, range).toEqual(live.body.data);
        if (token === admin) expect(statementsOf(cube), range).toBe(1);
      }
    }
    // Not a range the months can split: answered live.
    expect((await get('/v1/deals/stats?created_at=eq.2025-03-01T00:00:00Z', { token: admin })).body.meta.source).toBe('live');
    expect((await get('/v1/deals/stats?created_at=not.gte.2025-03-01', { token: admin })).body.meta.source).toBe('live');
  });

  it('one statement from the cube; stale after a write, a small org is then counted live', async () => {
    await get('/v1/deals/stats', { token: admin });
    const res = await get('/v1/deals/stats', { token: admin });
    expect(res.body.meta.source).toBe('rollup');
    expect(statementsOf(res)).toBe(1);

    await sql(`update deals set value = value + 1000 where org_id = $1 and name = 'C1'`, [org.id]);
    const generation = await raiseGeneration(org.id, 'deals');
    const after = await get('/v1/deals/stats', { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(after.body.meta.source).toBe('live');
    expect(after.body.data).toEqual((await get(`/v1/deals/stats?${ALL}`, { token: admin })).body.data);
    // The cron's pass brings it back.
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }), env as unknown as AppEnv);
    const fresh = await get('/v1/deals/stats', { token: admin, headers: { 'X-Min-Generation': generation } });
    expect(fresh.body.meta).toMatchObject({ source: 'rollup', stale: false });
    expect(fresh.body.data).toEqual(after.body.data);
  });
});
