import { isolateCaches } from '../../cache/isolate';
import type { Auth } from '../../core/auth';
import type { Db } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import type { ListRequest } from '../../query/ast';
import { listArrays, listRows } from '../../query/execute';
import { projectionKeys, resolveProjection } from '../../query/select';
import type { UserGrants } from '../../sharing/types';
import { CATALOG, RESOURCES } from '../registry';
import { type ExportFormat, rowFormat } from './formats';
import { GZIP_HEADER, Output, PART_BYTES, uploadWholeParts } from './output';

/**
 * The export consumer (issue 25, decision 0046): reads the job's rows by keyset pages under the
 * creator's grants as of the job's creation, writes them through gzip into an R2 multipart
 * upload, and commits a checkpoint after each part, so that a redelivery, a retry or the next
 * invocation resumes exactly where the last checkpoint left off: no row twice, none missing.
 *
 * R2 wants every part but the last of one size (at least 5 MiB), so parts are cut from the
 * output at fixed offsets, not at row boundaries. At a checkpoint whole parts are uploaded and
 * the bytes left over (less than a part) are written to the R2 object `<key>.carry.<checkpoint>`;
 * the checkpoint row then names the cursor after the last row written, the parts, that carry and
 * the gzip CRC-32 and length so far. Memory holds at most about a part and a page.
 */

/** What the queue carries: the job, and its org (every statement names it). */
export interface ExportMessage {
  jobId: string;
  orgId: string;
}

/** What the job row holds in `query`: the parsed request and the creator's role. */
export interface StoredQuery {
  request: ListRequest;
  role: Auth['role'];
}

export interface ExportJob {
  id: string;
  orgId: string;
  createdBy: string | null;
  resource: string;
  query: StoredQuery;
  format: ExportFormat;
  gzip: boolean;
  status: string;
  rows: number;
  bytes: number;
  cursor: string | null;
  objectKey: string;
  uploadId: string | null;
  parts: R2UploadedPart[];
  checkpoint: number;
  /** Gzip: the CRC-32 and length of the uncompressed bytes written up to the checkpoint. */
  crc: number;
  rawBytes: number;
  grants: UserGrants;
}

export interface RunOptions {
  /** Bytes per part (R2: at least 5 MiB, all but the last equal). */
  partBytes?: number;
  /** Rows per keyset page. */
  pageSize?: number;
  /** Checkpoints committed before this invocation stops and asks to be continued. */
  maxCheckpoints?: number;
  /** Milliseconds after which the invocation stops at its next checkpoint (a consumer has 15 minutes). */
  budgetMs?: number;
  /** Told, when the invocation ends, the most output bytes it held at once (tests: memory stays flat). */
  onPeak?: (bytes: number) => void;
}

/**
 * `done`: the object is complete; `more`: stopped at a checkpoint, enqueue again; `busy`: another
 * delivery holds the job (try later); `gone`: nothing to do (finished, cancelled, unknown).
 */
export type RunOutcome = 'done' | 'more' | 'busy' | 'gone';

/** How long a delivery holds a job without committing a checkpoint. */
const LEASE_SECONDS = 120;

/** Rows per statement: larger than an API page (the compiler takes it; the parsers cap clients at 1000). */
const PAGE_SIZE = 5000;
const BUDGET_MS = 10 * 60_000;

const JOB_SQL = `select id, org_id as "orgId", created_by as "createdBy", resource, query, format, gzip, status,
  rows::float8 as rows, bytes::float8 as bytes, crc::float8 as crc, raw_bytes::float8 as "rawBytes", cursor, object_key as "objectKey", upload_id as "uploadId", parts, checkpoint, grants
  from export_jobs where org_id = $1 and id = $2`;

export async function loadJob(db: Db, orgId: string, jobId: string): Promise<ExportJob | undefined> {
  return (await db.query<ExportJob>(JOB_SQL, [orgId, jobId])).rows[0];
}

const carryKey = (job: Pick<ExportJob, 'objectKey'>, checkpoint: number) => `${job.objectKey}.carry.${checkpoint}`;

const enc = new TextEncoder();

/**
 * Runs the job from its last checkpoint. Statements carry the org (the message's); the rows are
 * read under the grants stored with the job.
 */
export async function runExport(env: AppEnv, db: Db, message: ExportMessage, options: RunOptions = {}): Promise<RunOutcome> {
  const partBytes = options.partBytes ?? PART_BYTES;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const maxCheckpoints = options.maxCheckpoints ?? Number.POSITIVE_INFINITY;
  const started = Date.now();
  const budgetMs = options.budgetMs ?? BUDGET_MS;
  const bucket = env.EXPORTS;
  const job = await loadJob(db, message.orgId, message.jobId);
  if (!job || !['queued', 'running'].includes(job.status)) return 'gone';
  const claimed = await db.query(
    `update export_jobs set status = 'running', lease_until = now() + make_interval(secs => $3), updated_at = now()
     where org_id = $1 and id = $2 and status in ('queued', 'running') and (lease_until is null or lease_until < now()) returning id`,
    [job.orgId, job.id, LEASE_SECONDS],
  );
  if (!claimed.rows.length) return 'busy';
  const resource = RESOURCES[job.resource];
  if (!resource) throw new Error(`export ${job.id}: unknown resource ${job.resource}`);
  const projection = resolveProjection(CATALOG, resource, job.query.request.select);
  const format = rowFormat(job.format, projectionKeys(projection), projection.relations.length > 0);

  let uploadId = job.uploadId;
  if (!uploadId) {
    const created = await bucket.createMultipartUpload(job.objectKey, { httpMetadata: { contentType: format.contentType } });
    uploadId = created.uploadId;
    await db.query(`update export_jobs set upload_id = $3, updated_at = now() where org_id = $1 and id = $2 and status = 'running'`, [
      job.orgId,
      job.id,
      uploadId,
    ]);
  }
  const upload = bucket.resumeMultipartUpload(job.objectKey, uploadId);
  const vars = readVars(env);
  const ctx = {
    db,
    auth: { orgId: job.orgId, userId: job.createdBy ?? '', role: job.query.role },
    catalog: CATALOG,
    caches: isolateCaches(),
    secret: vars.JWT_SECRET,
    countLimit: vars.COUNT_EXACT_LIMIT,
    access: job.grants,
  };

  // The state as of the last checkpoint.
  const out = new Output(job.gzip, job.crc, job.rawBytes);
  const parts = [...job.parts];
  let { rows, cursor, checkpoint } = job;
  if (checkpoint > 0) {
    const carried = await bucket.get(carryKey(job, checkpoint));
    if (!carried) throw new Error(`export ${job.id}: the carry of checkpoint ${checkpoint} is missing`);
    out.push(new Uint8Array(await carried.arrayBuffer()));
  }
  const uploaded = () => parts.length * partBytes;

  if (rows === 0 && cursor === null && checkpoint === 0) {
    if (job.gzip) out.push(GZIP_HEADER);
    out.write(enc.encode(format.start()));
  }
  let commits = 0;
  // CSV takes each page's rows as arrays in the header's order: no object is built per row.
  const asArrays = format.arrays;
  const read = (after: string | null) => {
    const req = { ...job.query.request, limit: pageSize, cursor: after ?? undefined, offset: undefined, count: undefined };
    const page: Promise<{
      rows: ReadonlyArray<Record<string, unknown>> | ReadonlyArray<readonly unknown[]>;
      page: { nextCursor: string | null; hasMore: boolean };
    }> = asArrays ? listArrays(ctx, resource, req) : listRows(ctx, resource, req);
    // A page still in flight when the invocation stops at a checkpoint is never awaited.
    page.catch(() => {});
    return page;
  };
  let next = read(cursor);
  for (;;) {
    const page = await next;
    cursor = page.page.nextCursor;
    // The next page is asked for before this one is formatted and compressed: Postgres works while we do.
    if (page.page.hasMore && cursor) next = read(cursor);
    const text = asArrays
      ? asArrays(page.rows as ReadonlyArray<readonly unknown[]>)
      : format.rows(page.rows as ReadonlyArray<Record<string, unknown>>, rows === 0);
    if (text) out.write(enc.encode(text));
    rows += page.rows.length;
    if (!page.page.hasMore || !cursor) break;
    if (out.size < partBytes) continue;

    // A checkpoint: upload whole parts, keep the rest as the carry.
    await uploadWholeParts(upload, out, parts, partBytes);
    const carry = out.take(out.size);
    out.push(carry);
    await bucket.put(carryKey(job, checkpoint + 1), carry);
    const moved = await db.query(
      `update export_jobs set rows = $3, bytes = $4, cursor = $5, parts = $6::jsonb, checkpoint = $7, updated_at = now(), crc = $11, raw_bytes = $12,
         lease_until = case when $9 then null else now() + make_interval(secs => $10) end
       where org_id = $1 and id = $2 and status = 'running' and checkpoint = $8 returning id`,
      [
        job.orgId,
        job.id,
        rows,
        uploaded() + carry.length,
        cursor,
        JSON.stringify(parts),
        checkpoint + 1,
        checkpoint,
        commits + 1 >= maxCheckpoints || Date.now() - started >= budgetMs,
        LEASE_SECONDS,
        out.crc >>> 0,
        out.rawBytes,
      ],
    );
    // Cancelled meanwhile, or another delivery got further: this one stops.
    options.onPeak?.(out.peak);
    if (!moved.rows.length) return 'gone';
    if (checkpoint > 0) await bucket.delete(carryKey(job, checkpoint));
    checkpoint++;
    if (++commits >= maxCheckpoints || Date.now() - started >= budgetMs) return 'more';
  }

  // The end: the gzip trailer, whole parts, then the rest as the last part (it may be the only one).
  out.write(enc.encode(format.end()));
  out.finish();
  await uploadWholeParts(upload, out, parts, partBytes);
  if (out.size > 0 || parts.length === 0) parts.push(await upload.uploadPart(parts.length + 1, out.take(out.size)));
  const total = parts.length > 0 ? (await upload.complete(parts)).size : 0;
  const finished = await db.query(
    `update export_jobs set status = 'succeeded', rows = $3, bytes = $4, cursor = null, parts = $5::jsonb, completed_at = now(), updated_at = now(), lease_until = null
     where org_id = $1 and id = $2 and status = 'running' returning id`,
    [job.orgId, job.id, rows, total, JSON.stringify(parts)],
  );
  if (checkpoint > 0) await bucket.delete(carryKey(job, checkpoint));
  options.onPeak?.(out.peak);
  return finished.rows.length ? 'done' : 'gone';
}
