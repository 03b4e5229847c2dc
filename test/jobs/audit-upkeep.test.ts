import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import type { AppEnv } from '../../src/env';
import { auditUpkeep } from '../../src/resources/audit/upkeep';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// The daily audit upkeep (issue 25 §4) under a controlled clock: "now" is March 1991, so the
// partitions it archives and creates are ones this test made and nothing else uses. Partitions
// of 1990 hold rows of two orgs; with 12 months of retention, January and February 1990 are past
// it, March 1990 is not.

const appEnv = env as unknown as AppEnv;
const NOW = new Date('1991-03-15T03:00:00Z');
const OLD = ['1990_01', '1990_02', '1990_03'];
const AHEAD = ['1991_03', '1991_04', '1991_05', '1991_06'];

async function gunzipLines(body: ArrayBuffer): Promise<Array<Record<string, unknown>>> {
  const text = await new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function upkeep(options: { holder?: string } = {}) {
  const db = createDb(appEnv, () => {});
  try {
    return await auditUpkeep(appEnv, db, { now: NOW, ...options });
  } finally {
    await db.close();
  }
}

const exists = async (suffix: string) => (await sql(`select to_regclass($1) is not null as ok`, [`audit_log_${suffix}`]))[0].ok as boolean;

describe('audit upkeep', () => {
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    // A rerun of this file starts from the same state.
    for (const s of [...OLD, ...AHEAD]) await sql(`drop table if exists audit_log_${s}`);
    await sql(`delete from audit_archives where partition like 'audit_log_1990%'`);
    [a, b] = await Promise.all([createOrg(), createOrg()]);
    for (const s of OLD) await sql(`select ensure_audit_partition($1::date)`, [`${s.replace('_', '-')}-01`]);
    const row = (org: TestOrg, at: string, action: string) =>
      sql(
        `insert into audit_log (org_id, at, actor_id, action, object_type, object_id, changes) values ($1, $2, $3, $4, 'contacts', gen_random_uuid(), '{"x": 1}')`,
        [org.id, at, org.users.admin.id, action],
      );
    for (let i = 0; i < 3; i++) await row(a, `1990-01-0${i + 1}T10:00:00Z`, `jan-${i}`);
    for (let i = 0; i < 2; i++) await row(b, `1990-01-1${i}T10:00:00Z`, `jan-b-${i}`);
    await row(a, '1990-02-10T10:00:00Z', 'feb');
    await row(a, '1990-03-10T10:00:00Z', 'mar');
  });

  it('creates partitions ahead, archives and drops the ones past retention, checked row for row; a second run changes nothing', async () => {
    const report = await upkeep();
    expect(report.ran).toBe(true);
    expect(report.created).toEqual(AHEAD.map((s) => `audit_log_${s}`));
    for (const s of AHEAD) expect(await exists(s)).toBe(true);
    expect(report.archived.map((x) => x.partition).filter((p) => p.startsWith('audit_log_1990'))).toEqual(['audit_log_1990_01', 'audit_log_1990_02']);
    expect(await exists('1990_01')).toBe(false);
    expect(await exists('1990_02')).toBe(false);
    expect(await exists('1990_03')).toBe(true);

    // The archive holds every row of the month, oldest first, as the table had them.
    const january = await appEnv.EXPORTS.get('audit/1990-01/audit_log.ndjson.gz');
    expect(january).not.toBeNull();
    const lines = await gunzipLines(await (january as R2ObjectBody).arrayBuffer());
    expect(lines.map((l) => l.action)).toEqual(['jan-0', 'jan-1', 'jan-2', 'jan-b-0', 'jan-b-1']);
    expect(lines[0]).toMatchObject({ org_id: a.id, object_type: 'contacts', changes: { x: 1 } });
    const manifest = JSON.parse(await ((await appEnv.EXPORTS.get('audit/1990-01/manifest.json')) as R2ObjectBody).text());
    expect(manifest).toMatchObject({ partition: 'audit_log_1990_01', rows: 5, orgRows: { [a.id]: 3, [b.id]: 2 } });

    // Each org's trail says, on its last page, what is archived and where.
    const trail = await get('/v1/audit?limit=200', { token: await tokenFor(a.users.admin) });
    expect(trail.status).toBe(200);
    expect(trail.body.archived.filter((x: { month: string }) => x.month.startsWith('1990'))).toEqual([
      { month: '1990-01', object: 'audit/1990-01/audit_log.ndjson.gz', manifest: 'audit/1990-01/manifest.json', rows: 3 },
      { month: '1990-02', object: 'audit/1990-02/audit_log.ndjson.gz', manifest: 'audit/1990-02/manifest.json', rows: 1 },
    ]);
    // March is still in Postgres.
    expect(trail.body.data.map((r: { action: string }) => r.action)).toContain('mar');

    const again = await upkeep();
    expect(again).toMatchObject({ ran: true, created: [], archived: [], dropped: [] });
  });

  it('a run that finds the lease held does nothing', async () => {
    const lease = appEnv.LEASES.get(appEnv.LEASES.idFromName('audit-upkeep'));
    expect(await lease.acquire('another-run', 60_000)).toBe(true);
    await sql(`select ensure_audit_partition('1990-01-01')`);
    try {
      expect(await upkeep({ holder: 'this-run' })).toEqual({ ran: false, created: [], archived: [], dropped: [] });
      expect(await exists('1990_01')).toBe(true);
    } finally {
      await lease.release('another-run');
    }
    // Once free, the empty January partition is recorded already: it is dropped, not archived again.
    const report = await upkeep({ holder: 'this-run' });
    expect(report.dropped).toContain('audit_log_1990_01');
    expect(report.archived.map((x) => x.partition)).not.toContain('audit_log_1990_01');
  });
});
