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
  /** The crm-exports queue (wrangler.toml [[queues.consumers]]): export jobs, one per message. */
  async queue(batch, env) {
    await consumeExports(batch as MessageBatch<ExportMessage>, env);
  },
} satisfies ExportedHandler<AppEnv>;
