import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, statementsOf, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// Activity aggregates (issue 26 §2): /v1/activities/stats and /type-stats, one statement each
// over the rows the /v1/activities list with the same filters reads, checked against counts made
// here from the rows.

describe('activity aggregates', () => {
  let org: TestOrg;
  let admin: string;
  const rows: Array<{ type: string; status: string; priority: string; due: Date | null; owner: string }> = [];

  beforeAll(async () => {
    org = await createOrg();
    admin = await tokenFor(org.users.admin);
    const types = ['call', 'email', 'task', 'meeting'];
    const statuses = ['pending', 'in_progress', 'completed', 'cancelled'];
    const priorities = ['low', 'medium', 'high', 'urgent'];
    const now = Date.now();
    for (let i = 0; i < 24; i++) {
      const r = {
        type: types[i % 4],
        status: statuses[Math.floor(i / 4) % 4],
        priority: priorities[(i * 3) % 4],
        // Some long past, some in a minute, some in a month, some never.
        due: i % 5 === 0 ? null : new Date(now + [-30 * 86_400_000, 60_000, 31 * 86_400_000][i % 3]),
        owner: i % 2 ? org.users.member.id : org.users.admin.id,
      };
      await sql(`insert into activities (org_id, type, subject, status, priority, due_at, owner_id) values ($1, $2, $3, $4, $5, $6, $7)`, [
        org.id,
        r.type,
        `A${i}`,
        r.status,
        r.priority,
        r.due,
        r.owner,
      ]);
      rows.push(r);
    }
  });

  const open = (r: (typeof rows)[number]) => r.status === 'pending' || r.status === 'in_progress';
  const tally = (key: 'type' | 'status' | 'priority', xs = rows) => {
    const out: Record<string, number> = {};
    for (const r of xs) out[r[key]] = (out[r[key]] ?? 0) + 1;
    return out;
  };

  it('stats: totals per status, type and priority, overdue, in one statement; filters apply', async () => {
    await get('/v1/activities/stats', { token: admin });
    const res = await get('/v1/activities/stats', { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(statementsOf(res)).toBeLessThanOrEqual(2);
    const overdue = rows.filter((r) => open(r) && r.due && r.due.getTime() < Date.now()).length;
    expect(res.body.data).toMatchObject({ total: rows.length, byStatus: tally('status'), byType: tally('type'), byPriority: tally('priority'), overdue });
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body.data.dueToday).toBe(rows.filter((r) => open(r) && r.due?.toISOString().slice(0, 10) === today).length);
    const mine = await get(`/v1/activities/stats?owner_id=eq.${org.users.member.id}`, { token: admin });
    expect(mine.body.data.byType).toEqual(
      tally(
        'type',
        rows.filter((r) => r.owner === org.users.member.id),
      ),
    );
  });

  it('type-stats: per type total, open, completed and overdue', async () => {
    const res = await get('/v1/activities/type-stats', { token: admin });
    expect(res.status).toBe(200);
    const expected = ['call', 'email', 'meeting', 'task'].map((type) => {
      const xs = rows.filter((r) => r.type === type);
      return {
        type,
        total: xs.length,
        open: xs.filter(open).length,
        completed: xs.filter((r) => r.status === 'completed').length,
        overdue: xs.filter((r) => open(r) && r.due && r.due.getTime() < Date.now()).length,
      };
    });
    expect(res.body.data.types).toEqual(expected);
    expect((await get('/v1/activities/type-stats?limit=5', { token: admin })).status).toBe(400);
  });
});
