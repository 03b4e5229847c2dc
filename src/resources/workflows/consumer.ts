import { createDb } from '../../db/client';
import { type AppEnv, readVars } from '../../env';
import { createLogger } from '../../http/logger';
import { type Api, failStep, PermanentStepError, runStep, type StepMessage, workflowQueue } from './engine';

/** Retries per queue, as wrangler.toml sets them (max_retries): the last attempt fails the step. */
export const STEP_RETRIES: Record<string, number> = { 'crm-workflow-io': 4, 'crm-workflow-cpu': 2, 'crm-workflow-default': 3 };

/** Delay before the n-th retry of a step: 2, 4, 8 … seconds, at most 5 minutes. */
export const stepRetryDelay = (attempts: number) => Math.min(300, 2 ** Math.max(1, attempts));

/**
 * The consumer of the three workflow queues: the batch's steps run in parallel, each on its own
 * connection. A step that throws is retried with backoff; one that fails for good (a 4xx from
 * the API, or its last attempt) fails its run, and its message goes on to the dead-letter queue.
 * A `wait` step is sent again with its remaining delay.
 */
export async function consumeWorkflowSteps(batch: MessageBatch<StepMessage>, env: AppEnv, api: Api): Promise<void> {
  const vars = readVars(env);
  const retries = STEP_RETRIES[batch.queue] ?? 3;
  await Promise.all(
    batch.messages.map(async (message) => {
      const m = message.body;
      const log = createLogger(`workflow:${m.runId}:${m.step}`, vars.LOG_LEVEL);
      const db = createDb(env, (msg, extra) => log('error', msg, extra), { connectTimeoutMs: vars.CONNECT_TIMEOUT_MS });
      try {
        const outcome = await runStep(env, db, api, m);
        if (outcome.kind === 'later') {
          await workflowQueue(env, batch.queue).send(m, { delaySeconds: outcome.delaySeconds });
        }
        message.ack();
      } catch (err) {
        const permanent = err instanceof PermanentStepError;
        log(permanent ? 'warn' : 'error', 'workflow step failed', { error: String(err), attempts: message.attempts });
        if (permanent || message.attempts > retries) {
          await failStep(db, m, String(err instanceof Error ? err.message : err)).catch(() => {});
          // A step that can never succeed is acknowledged; one that ran out of retries goes to the DLQ.
          if (permanent) message.ack();
          else message.retry();
        } else message.retry({ delaySeconds: stepRetryDelay(message.attempts) });
      } finally {
        await db.close();
      }
    }),
  );
}
