import type { Context } from 'hono';
import type { AppContext } from '../http/context';
import { actAfterCommit, type EventSink } from '../write/events';
import { queueDeliveries, type Subscriber } from './webhooks/fanout';
import { DEPTH_HEADER, MAX_DEPTH } from './workflows/engine';
import { startTriggeredRuns, type TriggeredWorkflow } from './workflows/triggers';

/**
 * Who listens to the events of the org's committed writes: active webhook subscriptions and
 * active record-triggered workflows, found by one statement pipelined behind the write's COMMIT
 * (no round trip of its own; an org with neither pays an index probe). Once the COMMIT
 * succeeded, deliveries are queued (decision 0047) and runs started (decision 0049), before the
 * write answers. A write made by a workflow step says how deep in a chain of triggers it is
 * (`X-Workflow-Depth`): at MAX_DEPTH it starts no run, so a workflow that changes what triggers
 * it stops instead of looping.
 */
const LISTENERS_SQL = `select 'webhook' as kind, id, events, filter, null::jsonb as steps, null::uuid as "createdBy", null::text as event
    from webhook_subscriptions where org_id = $1 and active and events && $2::text[]
  union all
  select 'workflow', id, null, null, steps, created_by, trigger->>'event'
    from workflows where org_id = $1 and active and trigger->>'type' = 'record' and trigger->>'event' = any($2::text[])`;

type Listener = ({ kind: 'webhook' } & Subscriber) | ({ kind: 'workflow' } & TriggeredWorkflow);

export function changeSink(c: Context<AppContext>): EventSink {
  return {
    afterCommit(events, committed) {
      const { db, log } = c.var.services;
      const depth = Math.min(MAX_DEPTH, Number.parseInt(c.req.header(DEPTH_HEADER) ?? '0', 10) || 0);
      // Sent now: the pipeline carries it right behind the COMMIT.
      const lookup = db.query<Listener>(LISTENERS_SQL, [c.var.auth.orgId, [...new Set(events.map((e) => e.type))]]);
      return actAfterCommit(
        lookup,
        committed,
        async (rows) => {
          const hooks = rows.filter((r): r is Listener & { kind: 'webhook' } => r.kind === 'webhook');
          const flows = rows.filter((r): r is Listener & { kind: 'workflow' } => r.kind === 'workflow');
          // The write committed and stays so: what failed to follow it is in the log.
          await Promise.all([
            hooks.length &&
              queueDeliveries(c, hooks, events).catch((err) => log('error', 'webhook deliveries not queued', { error: String(err), events: events.length })),
            flows.length &&
              depth < MAX_DEPTH &&
              startTriggeredRuns(c, flows, events, depth).catch((err) =>
                log('error', 'workflow runs not started', { error: String(err), events: events.length }),
              ),
          ]);
        },
        (err) => log('error', 'change listeners not read', { error: String(err), events: events.length }),
      );
    },
  };
}
