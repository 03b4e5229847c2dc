import { createApp } from './app';
import { createDb, type Db } from './db/client';
import { type AppEnv, readVars } from './env';
import { purgeExpiredIdempotencyKeys } from './http/idempotency';
import { createLogger } from './http/logger';
import { refreshDealCubes } from './resources/analytics/deal-cube';
import { refreshReportRollups } from './resources/analytics/reports';
import { refreshFacetRollups } from './resources/analytics/rollups';
import { auditUpkeep } from './resources/audit/upkeep';
import { consumeExports, expireExports } from './resources/exports/consumer';
import type { ExportMessage } from './resources/exports/job';
import { consumeWebhooks } from './resources/webhooks/consumer';
import type { WebhookMessage } from './resources/webhooks/fanout';
import { sealPlaintextSecrets } from './resources/webhooks/subscriptions';
import { consumeWorkflowSteps } from './resources/workflows/consumer';
import { fireScheduledWorkflows, type StepMessage } from './resources/workflows/engine';

/** Leases for work that must not overlap (wrangler.toml: binding LEASES). */
export { LeaseDO } from './cache/lease-do';
/** The org's Durable Object (wrangler.toml: binding ORG): its sharing snapshot and compiled grants. */
export { OrgDO } from './sharing/org-do';

const app = createApp();

/** Each queue's consumer: one entry per [[queues.consumers]] in wrangler.toml. */
const CONSUMERS: Record<string, (batch: MessageBatch, env: AppEnv) => Promise<void>> = {
  'crm-exports': (batch, env) => consumeExports(batch as MessageBatch<ExportMessage>, env),
  'crm-webhooks': (batch, env) => consumeWebhooks(batch as MessageBatch<WebhookMessage>, env),
  ...Object.fromEntries(
    ['crm-workflow-io', 'crm-workflow-cpu', 'crm-workflow-default'].map((queue) => [
      queue,
      // Record actions go through the API itself (as the run's creator, with an Idempotency-Key).
      (batch: MessageBatch, env: AppEnv) =>
        consumeWorkflowSteps(batch as MessageBatch<StepMessage>, env, (request) => Promise.resolve(app.fetch(request, env))),
    ]),
  ),
};

type Log = ReturnType<typeof createLogger>;

/** Each cron trigger's job: one entry per schedule in wrangler.toml [triggers]. */
const CRONS: Record<string, (env: AppEnv, db: Db, now: Date, log: Log) => Promise<void>> = {
  '*/10 * * * *': async (_env, db, _now, log) => {
    log('info', 'report rollups', { ...(await refreshReportRollups(db)) });
  },
  '*/15 * * * *': async (env, db, now, log) => {
    log('info', 'expired idempotency keys purged', { purged: await purgeExpiredIdempotencyKeys(db) });
    log('info', 'expired exports deleted', { expired: await expireExports(env, db) });
    log('info', 'scheduled workflows started', { started: await fireScheduledWorkflows(env, db, now) });
    log('info', 'webhook secrets sealed', { sealed: await sealPlaintextSecrets(db, readVars(env).SECRETS_KEY) });
  },
  '*/5 * * * *': async (env, db, _now, log) => {
    log('info', 'facet rollups', { ...(await refreshFacetRollups(env, db)) });
    log('info', 'deal cubes', { ...(await refreshDealCubes(db)) });
  },
  '0 3 * * *': async (env, db, now, log) => {
    log('info', 'audit upkeep', { ...(await auditUpkeep(env, db, { now })) });
  },
};

export default {
  fetch: app.fetch,
  /** The cron triggers (wrangler.toml [triggers]): housekeeping that no request should pay for. */
  async scheduled(controller, env) {
    const vars = readVars(env);
    const log = createLogger(`cron:${controller.cron}`, vars.LOG_LEVEL);
    const db = createDb(env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
    try {
      const job = CRONS[controller.cron];
      if (!job) throw new Error(`no job for cron ${controller.cron}`);
      await job(env, db, new Date(controller.scheduledTime), log);
    } finally {
      await db.close();
    }
  },
  /** Queue consumers (wrangler.toml [[queues.consumers]]), by queue name. */
  async queue(batch, env) {
    const consume = CONSUMERS[batch.queue];
    if (!consume) throw new Error(`no consumer for queue ${batch.queue}`);
    await consume(batch, env);
  },
} satisfies ExportedHandler<AppEnv>;
