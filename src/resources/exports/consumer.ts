import { createDb, type Db } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import { createLogger } from '../../http/logger';
import { type ExportMessage, loadJob, type RunOptions, runExport } from './job';

/** Delay before the n-th retry of a failed delivery: 2, 4, 8 … seconds, at most a minute. */
export const retryDelaySeconds = (attempts: number) => Math.min(60, 2 ** Math.max(1, attempts));

/**
 * The crm-exports consumer (wrangler.toml): one job per message. A job that stopped at a
 * checkpoint (its time budget) enqueues itself again to continue; one that throws is retried
 * with backoff from its last checkpoint, and marked failed (its upload aborted) on the last
 * attempt, before the message goes to the dead-letter queue.
 */
export async function consumeExports(batch: MessageBatch<ExportMessage>, env: AppEnv, options: RunOptions & { maxRetries?: number } = {}): Promise<void> {
  const vars = readVars(env);
  const maxRetries = options.maxRetries ?? 3;
  for (const message of batch.messages) {
    const log = createLogger(`export:${message.body.jobId}`, vars.LOG_LEVEL);
    const db = createDb(env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
    try {
      const outcome = await runExport(env, db, message.body, options);
      log('info', 'export ran', { outcome });
      if (outcome === 'busy') {
        // Another delivery holds the job: look again once its lease may have lapsed.
        message.retry({ delaySeconds: 60 });
        continue;
      }
      if (outcome === 'more') await env.EXPORT_QUEUE.send(message.body);
      message.ack();
    } catch (err) {
      log('error', 'export failed', { error: String(err), attempts: message.attempts });
      // The last attempt marks the job failed (its upload aborted); the message then goes to the dead-letter queue.
      if (message.attempts > maxRetries) await failJob(env, db, message.body, String(err)).catch(() => {});
      else await releaseLease(db, message.body).catch(() => {});
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    } finally {
      await db.close();
    }
  }
}

/** A failed delivery lets the retry claim the job at once. */
async function releaseLease(db: Db, m: ExportMessage): Promise<void> {
  await db.query(`update export_jobs set lease_until = null where org_id = $1 and id = $2`, [m.orgId, m.jobId]);
}

async function failJob(env: AppEnv, db: Db, m: ExportMessage, error: string): Promise<void> {
  const job = await loadJob(db, m.orgId, m.jobId);
  if (job?.uploadId) await env.EXPORTS.resumeMultipartUpload(job.objectKey, job.uploadId).abort();
  await db.query(`update export_jobs set status = 'failed', error = $3, updated_at = now() where org_id = $1 and id = $2 and status in ('queued', 'running')`, [
    m.orgId,
    m.jobId,
    error.slice(0, 500),
  ]);
}

/**
 * Cron: exports past `expires_at` lose their file and become `expired`, in bounded batches.
 * Statements here span orgs by design (housekeeping, no caller); each row names its org.
 */
export async function expireExports(env: AppEnv, db: Db, limit = 500): Promise<number> {
  const { rows } = await db.query<{ id: string; orgId: string; objectKey: string }>(
    `select id, org_id as "orgId", object_key as "objectKey" from export_jobs
     where expires_at < now() and status in ('succeeded', 'failed', 'cancelled') order by expires_at limit $1`,
    [limit],
  );
  if (!rows.length) return 0;
  await env.EXPORTS.delete(rows.map((r) => r.objectKey));
  await db.query(`update export_jobs set status = 'expired', updated_at = now() where id = any($1::uuid[]) and status <> 'expired'`, [rows.map((r) => r.id)]);
  return rows.length;
}
