import type { Db } from '../../db/client';
import type { AppEnv } from '../../env';
import { GZIP_HEADER, Output, PART_BYTES, uploadWholeParts } from '../exports/output';

/**
 * The daily audit upkeep (wrangler.toml cron `0 3 * * *`, decision 0048):
 * 1. month partitions of audit_log exist from this month to MONTHS_AHEAD ahead;
 * 2. each partition wholly older than the retention is written to R2 as gzip NDJSON
 *    (`audit/<YYYY-MM>/audit_log.ndjson.gz`, one row per line, oldest first) with a manifest
 *    beside it, the object's rows and size are checked against the partition, the archive is
 *    recorded in `audit_archives`, and the partition is dropped (detached and dropped in one
 *    statement), in that order.
 * Every step is idempotent (a partition already recorded is only dropped; one written but not
 * recorded is written again), and the run holds the `audit-upkeep` lease (LEASES), so runs that
 * overlap never work on the same partition twice.
 */

export const MONTHS_AHEAD = 3;
export const RETENTION_MONTHS = 12;
/** Rows read per statement while archiving. */
const CHUNK = 5000;
/** How long a run holds the lease without finishing. */
const LEASE_MS = 15 * 60_000;

export interface UpkeepOptions {
  /** The run's clock: tests pass a date. */
  now?: Date;
  retentionMonths?: number;
  monthsAhead?: number;
  /** Who holds the lease (a run id). */
  holder?: string;
}

export interface UpkeepReport {
  /** false: another run holds the lease; nothing was done. */
  ran: boolean;
  created: string[];
  archived: Array<{ partition: string; rows: number; bytes: number; objectKey: string }>;
  dropped: string[];
}

/** The first day of the month `offset` months from `d` (UTC), as YYYY-MM-DD. */
export function monthStart(d: Date, offset = 0): string {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
}

interface Partition {
  name: string;
  from: string;
  to: string;
}

/** audit_log's month partitions, oldest first, with their bounds (as the migration names them: audit_log_YYYY_MM). */
async function partitions(db: Db): Promise<Partition[]> {
  const { rows } = await db.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'audit_log'::regclass order by c.relname`,
  );
  return rows.flatMap(({ name }) => {
    const m = /^audit_log_(\d{4})_(\d{2})$/.exec(name);
    if (!m) return [];
    const from = `${m[1]}-${m[2]}-01`;
    return [{ name, from, to: monthStart(new Date(`${from}T00:00:00Z`), 1) }];
  });
}

export async function auditUpkeep(env: AppEnv, db: Db, options: UpkeepOptions = {}): Promise<UpkeepReport> {
  const now = options.now ?? new Date();
  const holder = options.holder ?? crypto.randomUUID();
  const lease = env.LEASES.get(env.LEASES.idFromName('audit-upkeep'));
  const report: UpkeepReport = { ran: false, created: [], archived: [], dropped: [] };
  if (!(await lease.acquire(holder, LEASE_MS))) return report;
  report.ran = true;
  try {
    for (let i = 0; i <= (options.monthsAhead ?? MONTHS_AHEAD); i++) {
      const { rows } = await db.query<{ part: string; existed: boolean }>(
        `select to_regclass(format('audit_log_%s', to_char($1::date, 'YYYY_MM'))) is not null as existed, ensure_audit_partition($1::date) as part`,
        [monthStart(now, i)],
      );
      if (!rows[0].existed) report.created.push(rows[0].part);
    }
    const cutoff = monthStart(now, -(options.retentionMonths ?? RETENTION_MONTHS));
    for (const p of await partitions(db)) {
      if (p.to > cutoff) continue;
      const { rows: recorded } = await db.query<{ rows: number }>(`select rows::float8 as rows from audit_archives where partition = $1`, [p.name]);
      if (!recorded.length) report.archived.push(await archive(env, db, p));
      // Dropping a partition detaches it in the same step: never a detached table left behind.
      await db.query(`drop table ${quoteIdent(p.name)}`);
      report.dropped.push(p.name);
    }
  } finally {
    await lease.release(holder);
  }
  return report;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Writes one partition to R2 and records it; throws (dropping nothing) if the object does not hold every row. */
async function archive(env: AppEnv, db: Db, p: Partition): Promise<UpkeepReport['archived'][number]> {
  const month = p.from.slice(0, 7);
  const objectKey = `audit/${month}/audit_log.ndjson.gz`;
  const manifestKey = `audit/${month}/manifest.json`;
  const upload = await env.EXPORTS.createMultipartUpload(objectKey, { httpMetadata: { contentType: 'application/gzip' } });
  const out = new Output(true, 0, 0);
  out.push(GZIP_HEADER);
  const parts: R2UploadedPart[] = [];
  const orgRows: Record<string, number> = {};
  let rows = 0;
  let after: { at: string; id: string } | undefined;
  const enc = new TextEncoder();
  try {
    for (;;) {
      const { rows: chunk } = await db.query<{ line: string; org_id: string; at: string; id: string }>(
        `select row_to_json(a)::text as line, org_id, at::text as at, id::text as id from ${quoteIdent(p.name)} a
         ${after ? 'where (at, id) > ($1::timestamptz, $2::bigint)' : ''} order by at, id limit ${CHUNK}`,
        after ? [after.at, after.id] : [],
      );
      if (!chunk.length) break;
      out.write(enc.encode(chunk.map((r) => `${r.line}\n`).join('')));
      for (const r of chunk) orgRows[r.org_id] = (orgRows[r.org_id] ?? 0) + 1;
      rows += chunk.length;
      after = chunk[chunk.length - 1];
      await uploadWholeParts(upload, out, parts, PART_BYTES);
    }
    out.finish();
    await uploadWholeParts(upload, out, parts, PART_BYTES);
    if (out.size > 0 || !parts.length) parts.push(await upload.uploadPart(parts.length + 1, out.take(out.size)));
    await upload.complete(parts);
  } catch (err) {
    await upload.abort().catch(() => {});
    throw err;
  }
  // Checked before anything is dropped: the partition's row count (nothing writes to a month
  // past retention) and the stored object's size.
  const [{ n }] = (await db.query<{ n: number }>(`select count(*)::int as n from ${quoteIdent(p.name)}`)).rows;
  const head = await env.EXPORTS.head(objectKey);
  if (n !== rows || !head) throw new Error(`audit archive of ${p.name}: ${rows} rows written, ${n} in the partition, object ${head ? 'present' : 'missing'}`);
  const manifest = {
    partition: p.name,
    from: p.from,
    to: p.to,
    rows,
    bytes: head.size,
    format: 'ndjson+gzip',
    object: objectKey,
    orgRows,
    archivedAt: new Date().toISOString(),
  };
  await env.EXPORTS.put(manifestKey, JSON.stringify(manifest, null, 2), { httpMetadata: { contentType: 'application/json' } });
  await db.query(
    `insert into audit_archives (partition, month, object_key, manifest_key, rows, bytes, org_rows) values ($1, $2, $3, $4, $5, $6, $7::jsonb)
     on conflict (partition) do nothing`,
    [p.name, p.from, objectKey, manifestKey, rows, head.size, JSON.stringify(orgRows)],
  );
  return { partition: p.name, rows, bytes: head.size, objectKey };
}
