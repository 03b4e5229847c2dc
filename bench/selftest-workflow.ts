// The `workflow` scenario's part of the selftest (bench/selftest.ts): the queue settings it reads,
// how it turns step timestamps into latencies, and what the quick run wrote about its runs.
import { workflowGoal } from './lib/goals';
import type { Row } from './lib/results';
import type { BenchResults } from './lib/schema';
import { plan, queueConsumers, summarise, WORKFLOW_LABEL, workflowQueueSettings } from './lib/workflow-scenario';

type Check = (ok: boolean, what: string) => void;

const step = (key: string, queue: string, enq: number, start: number, end: number, attempts = 1) => ({
  key,
  class: queue === 'crm-workflow-cpu' ? 'cpu' : 'mixed',
  queue,
  status: 'succeeded',
  attempts,
  error: null,
  enqueuedAt: new Date(enq).toISOString(),
  startedAt: new Date(start).toISOString(),
  finishedAt: new Date(end).toISOString(),
});

/** The settings parser, the arithmetic of one run and the reported goal line. */
export function checkWorkflowUnits(check: Check): void {
  const parsed = queueConsumers(
    '[[queues.consumers]]\nqueue = "crm-workflow-cpu" # one at a time\nmax_batch_size = 1\nmax_retries = 2\n\n[vars]\nX = "1"\n[[queues.consumers]]\nqueue = "other"\nmax_batch_timeout = 5\n',
  );
  check(
    parsed.length === 2 &&
      parsed[0].queue === 'crm-workflow-cpu' &&
      parsed[0].max_batch_size === 1 &&
      parsed[0].max_retries === 2 &&
      parsed[1].max_batch_timeout === 5,
    `workflow: [[queues.consumers]] parsed from TOML (${JSON.stringify(parsed)})`,
  );
  const real = workflowQueueSettings();
  check(
    ['crm-workflow-cpu', 'crm-workflow-default', 'crm-workflow-io'].every((q) => real.some((s) => s.queue === q && typeof s.max_batch_size === 'number')),
    `workflow: the three workflow queues' settings read from wrangler.toml (${real.map((s) => s.queue).join(', ')})`,
  );
  const t = Date.parse('2025-01-01T00:00:00.000Z');
  const facts = summarise(
    [
      {
        sent: t - 5,
        seenMs: 400,
        run: {
          id: 'r1',
          status: 'succeeded',
          error: null,
          startedAt: new Date(t).toISOString(),
          finishedAt: new Date(t + 300).toISOString(),
          steps: [
            step('a', 'crm-workflow-cpu', t, t + 20, t + 22),
            step('b', 'crm-workflow-default', t + 22, t + 122, t + 140, 2),
            step('c', 'crm-workflow-cpu', t + 22, t + 30, t + 31),
            step('d', 'crm-workflow-cpu', t + 140, t + 150, t + 152),
          ],
        },
      },
    ],
    1,
    1000,
    real,
  );
  check(
    facts.queueLatency['crm-workflow-default']?.p50_ms === 100 &&
      facts.queueLatency['crm-workflow-cpu']?.count === 3 &&
      facts.queueLatency['crm-workflow-cpu'].max_ms === 20 &&
      facts.stepDuration.update_field?.p50_ms === 18 &&
      facts.endToEnd?.p50_ms === 157 &&
      facts.runClock?.p50_ms === 152 &&
      facts.retries === 1 &&
      facts.succeeded === 1,
    `workflow: queue latency per queue, duration per action, end to end from the POST, retries counted (${JSON.stringify({ q: facts.queueLatency, e: facts.endToEnd })})`,
  );
  const row: Row = {
    label: WORKFLOW_LABEL,
    result: { id: 'workflow', mode: 'pooled', concurrency: 1, p50_ms: 157, p95_ms: 157, p99_ms: 157, rps: 1, errors: 0 },
    workflow: facts,
  };
  const goal = workflowGoal([row]);
  check(
    goal.status === 'reported' && goal.detail.includes('crm-workflow-default p50 100 / p95 100 ms') && goal.detail.includes('settings: crm-workflow-'),
    `workflow: the goal line is reported with each queue's p50/p95 and the settings (${goal.detail})`,
  );
  check(workflowGoal([]).status === 'not measured', 'workflow: no runs, not measured');
  check(
    plan(1, 10).rounds === 30 && plan(1, 1).rounds === 3 && plan(8, 10).rounds === 3 && plan(8, 1).rounds === 1,
    'workflow: 30 runs at c1 and 3 rounds of 8 for 10 s; 3 and 1 for 1 s',
  );
}

/** Every mode ran the workflow at c1 and c8, every run succeeded and both queues' latencies were measured. */
export function checkWorkflowResults(check: Check, res: BenchResults, md: string): void {
  const modes = [...new Set(res.scenarios.map((s) => s.mode))];
  for (const mode of modes)
    for (const conc of [1, 8]) {
      const row = res.scenarios.find((s) => s.id === 'workflow' && s.mode === mode && s.concurrency === conc);
      const notes = row?.notes ?? '';
      const ran = /(\d+) runs \([^)]*\) in [\d.]+ s: (\d+) succeeded, 0 failed, 0 unfinished/.exec(notes);
      check(
        !!row && row.errors === 0 && !!ran && ran[1] === ran[2] && Number(ran[1]) > 0,
        `${mode} c${conc}: workflow runs all succeeded (${ran?.[0] ?? notes.slice(0, 200)})`,
      );
      check(
        ['crm-workflow-cpu', 'crm-workflow-default'].every((q) =>
          new RegExp(`queue latency \\(enqueuedAt → startedAt\\) ${q} p50 [\\d.]+ ms, p95 [\\d.]+ ms`).test(notes),
        ) && (row?.p50_ms ?? 0) > 0,
        `${mode} c${conc}: workflow queue latency measured on the cpu and default queues, runs end to end (p50 ${row?.p50_ms ?? '–'} ms)`,
      );
    }
  check(
    md.includes('## Workflows (step latency)') &&
      /\| workflows \(reported\): step latency enqueue→start [^|]*\| ℹ️ reported \| c1: crm-workflow-cpu p50 /.test(md),
    'latest.md has the workflows table and the reported workflow line',
  );
}
