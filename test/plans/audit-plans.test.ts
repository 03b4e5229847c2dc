import { beforeAll, describe, expect, it } from 'vitest';
import { type AuditFilters, type AuditKey, planAuditPage } from '../../src/resources/audit/list';
import { ensureAuditMonths } from '../support/audit';
import { explain, sql } from '../support/sql';

// The audit trail's statement, proved on its month partitions: a from/to window plans only the
// partitions it overlaps (pruned when planning, so EXPLAIN names no other), a cursor prunes the
// months after it, and every read goes through an index that starts with org_id.
const MONTHS = ['2026-09-01', '2026-10-01', '2026-11-01'];
/** Rows per org and month: enough that the planner prices real partitions, not empty ones. */
const PER_MONTH = 2000;
const LIMIT = 50;

/** Every relation the plan reads, by name: the partitions it kept. */
function relationsOf(plan: unknown): string[] {
  const out = new Set<string>();
  const walk = (n: { 'Relation Name'?: string; Plans?: unknown[] }) => {
    if (n['Relation Name']) out.add(n['Relation Name']);
    for (const child of n.Plans ?? []) walk(child as typeof n);
  };
  walk(plan as Parameters<typeof walk>[0]);
  return [...out].sort();
}

describe('audit trail plans on month partitions', () => {
  let orgId: string;
  const record = crypto.randomUUID();

  beforeAll(async () => {
    await ensureAuditMonths(MONTHS);
    orgId = crypto.randomUUID();
    const noise = crypto.randomUUID();
    // Both orgs write through the same three months; the plan's org changes one record in
    // twenty, the rest spread over 100 others.
    await sql(
      `insert into audit_log (org_id, at, actor_id, action, object_type, object_id, changes)
       select o.id, timestamptz '2026-09-01' + (i * interval '91 days' / $3::int), gen_random_uuid(),
              (array['create', 'update', 'delete'])[1 + i % 3], 'contacts',
              case when o.id = $1::uuid and i % 20 = 0 then $4::uuid else md5(o.id::text || (i % 100))::uuid end,
              '{"status": {"from": "active", "to": "inactive"}}'
       from generate_series(0, $3::int - 1) i, (values ($1::uuid), ($2::uuid)) o(id)`,
      [orgId, noise, PER_MONTH * MONTHS.length, record],
    );
    await sql('analyze audit_log_2026_09, audit_log_2026_10, audit_log_2026_11');
  });

  async function explainPage(filters: AuditFilters, after?: AuditKey) {
    const plan = planAuditPage(orgId, filters, LIMIT, after);
    const explained = await explain(plan.statement, plan.values, { analyze: true });
    expect(explained.seqScans, 'no sequential scan of a partition').toEqual([]);
    return { ...explained, relations: relationsOf(explained.plan) };
  }

  it('a from/to window reads only the partitions in it, through (org_id, at desc)', async () => {
    const e = await explainPage({ from: '2026-10-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    expect(e.relations).toEqual(['audit_log_2026_10', 'audit_log_2026_11']);
    expect(e.indexes.length).toBeGreaterThan(0);
    for (const index of e.indexes) expect(index).toMatch(/^audit_log_2026_1[01]_org_id_at_idx$/);
    // Newest first from the index order: about a page of rows, not the window's thousands.
    const read = Object.values(e.tableRows).reduce((s, n) => s + n, 0);
    expect(read).toBeLessThanOrEqual(2 * (LIMIT + 1));
  });

  it('a window inside one month reads that month alone', async () => {
    const e = await explainPage({ from: '2026-10-05T00:00:00Z', to: '2026-10-20T00:00:00+02:00' });
    expect(e.relations).toEqual(['audit_log_2026_10']);
    expect(e.indexes).toEqual(['audit_log_2026_10_org_id_at_idx']);
  });

  it("one record's trail in a window reads (org_id, object_type, object_id, at desc) of those months", async () => {
    const e = await explainPage({ object_type: 'contacts', object_id: record, from: '2026-09-15T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(e.relations).toEqual(['audit_log_2026_09', 'audit_log_2026_10']);
    expect(e.indexes.sort()).toEqual(['audit_log_2026_09_org_id_object_type_object_id_at_idx', 'audit_log_2026_10_org_id_object_type_object_id_at_idx']);
  });

  it('a cursor page plans nothing newer than its cursor', async () => {
    const [last] = await sql<{ at: string; id: string }>(
      `select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id::text from audit_log
       where org_id = $1 and at < '2026-10-15' order by at desc, id desc limit 1`,
      [orgId],
    );
    const e = await explainPage({ from: '2026-09-01T00:00:00Z' }, [last.at, last.id]);
    expect(e.relations).toEqual(['audit_log_2026_09', 'audit_log_2026_10']);
    for (const index of e.indexes) expect(index).toMatch(/_org_id_at_idx$/);
  });

  it("the org's whole trail, first page, reads about a page through org-leading indexes", async () => {
    const e = await explainPage({});
    expect(e.relations).toEqual(expect.arrayContaining(['audit_log_2026_09', 'audit_log_2026_10', 'audit_log_2026_11']));
    for (const index of e.indexes) expect(index).toMatch(/_org_id_at_idx$/);
    const read = Object.values(e.tableRows).reduce((s, n) => s + n, 0);
    expect(read).toBeLessThanOrEqual(2 * (LIMIT + 1));
  });
});
