import type { Context } from 'hono';
import type { AppContext } from '../../http/context';
import type { ChangeEvent } from '../../write/events';
import { startRun } from './engine';
import type { StepSpec } from './spec';

/** An active workflow a record event starts (found by src/resources/change-sink.ts). */
export interface TriggeredWorkflow {
  id: string;
  steps: StepSpec[];
  createdBy: string | null;
  event: string;
}

/**
 * Record-event triggers (decision 0049): a run of each matching workflow per event, as the
 * workflow's creator, with the event (`$trigger.id`, `$trigger.changes`, `$trigger.depth`) as
 * its trigger.
 */
export async function startTriggeredRuns(
  c: Context<AppContext>,
  workflows: readonly TriggeredWorkflow[],
  events: readonly ChangeEvent[],
  depth: number,
): Promise<void> {
  const { orgId } = c.var.auth;
  for (const w of workflows) {
    if (!w.createdBy) continue;
    for (const e of events.filter((x) => x.type === w.event))
      await startRun(
        c.env,
        c.var.services.db,
        { ...w, orgId },
        { type: 'record', event: e.type, object: e.object, id: e.id, changes: e.changes, depth },
        w.createdBy,
      );
  }
}
