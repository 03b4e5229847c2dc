import { createApp } from './app';
import { createDb } from './db/client';
import { type AppEnv, readVars } from './env';
import { purgeExpiredIdempotencyKeys } from './http/idempotency';
import { createLogger } from './http/logger';
import { consumeExports, expireExports } from './resources/exports/consumer';
import type { ExportMessage } from './resources/exports/job';

/** The org's Durable Object (wrangler.toml: binding ORG): its sharing snapshot and compiled grants. */
export { OrgDO } from './sharing/org-do';

const app = createApp();

/** Each queue's consumer: one entry per [[queues.consumers]] in wrangler.toml. */
const CONSUMERS: Record<string, (batch: MessageBatch, env: AppEnv) => Promise<void>> = {
  'crm-exports': (batch, env) => consumeExports(batch as MessageBatch<ExportMessage>, env),
};

export default {
  fetch: app.fetch,
  /** The cron trigger (wrangler.toml [triggers]): housekeeping that no request should pay for. */
  async scheduled(controller, env) {
    const vars = readVars(env);
    const log = createLogger(`cron:${controller.cron}`, vars.LOG_LEVEL);
    const db = createDb(env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
    try {
      const purged = await purgeExpiredIdempotencyKeys(db);
      log('info', 'expired idempotency keys purged', { purged });
      const expired = await expireExports(env, db);
      log('info', 'expired exports deleted', { expired });
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
