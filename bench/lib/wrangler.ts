import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/config';
import { onCleanup } from './cleanup';
import { freePort, sleep, spawnGroup } from './process';

export interface DevServer {
  baseUrl: string;
  /** The process group leader (`npx wrangler dev`); workerd runs in its group. */
  pid: number;
  /** The DevTools inspector of the Worker's isolate (`--inspector-port`): the export scenario reads its heap. */
  inspectorPort: number;
  stop(): Promise<void>;
}

/** Env for `wrangler dev`: offline, no telemetry, Hyperdrive pointed at this mode's database URL. */
function devEnv(hyperdriveUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Node 22 from node_modules (wrangler needs it) even if the caller's PATH starts with Node 20.
    PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl,
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE_CACHED: hyperdriveUrl,
  };
}

async function waitHealthy(baseUrl: string, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until && !gone) {
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    await sleep(250);
  }
  throw new Error(`wrangler dev ${gone ? 'exited' : 'did not become healthy'} (last /healthz: ${last})`);
}

/**
 * `npx wrangler dev` as a user runs it, on free ports, state persisted to `dir` so the
 * bench neither reads nor disturbs a developer's .wrangler/state.
 */
export async function startWrangler(hyperdriveUrl: string, dir: string, log: (m: string) => void): Promise<DevServer> {
  mkdirSync(dir, { recursive: true });
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    'wrangler',
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    path.join(dir, 'state'),
    '--show-interactive-dev-session=false',
    // The analytics scenarios fire the rollup crons through /cdn-cgi/handler/scheduled.
    '--test-scheduled',
  ];
  const started = Date.now();
  const proc = spawnGroup('npx', args, path.join(dir, 'wrangler.log'), { cwd: ROOT, env: devEnv(hyperdriveUrl) });
  const stop = onCleanup('wrangler dev', () => proc.stop());
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(baseUrl, proc.exited, 120_000);
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n--- wrangler log (${proc.logFile}) ---\n${proc.logTail()}`);
  }
  log(`wrangler dev on ${baseUrl} (healthy after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { baseUrl, pid: proc.child.pid!, inspectorPort, stop };
}
