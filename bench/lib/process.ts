import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { trackGroup } from './cleanup';

export interface GroupProcess {
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the leader exits. */
  exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !groupAlive(pgid);
}

/**
 * Starts a command as the leader of a new process group with output going to a log file
 * (a file, not a pipe: nobody has to drain it, and it survives for the error message).
 * Stopping signals the whole group, so grandchildren (workerd under wrangler, pgbouncer
 * under runuser) go too.
 */
export function spawnGroup(cmd: string, args: string[], logFile: string, opts: SpawnOptions = {}): GroupProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pgid = child.pid!;
  const untrack = trackGroup(pgid);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => resolve(String(err)));
  });
  const stop = async (timeoutMs = 8000) => {
    if (groupAlive(pgid)) {
      process.kill(-pgid, 'SIGTERM');
      if (!(await waitGroupGone(pgid, timeoutMs)) && groupAlive(pgid)) {
        process.kill(-pgid, 'SIGKILL');
        await waitGroupGone(pgid, 2000);
      }
    }
    untrack();
  };
  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  return { child, logFile, exited, stop, logTail };
}

/** A port the OS considers free right now (tiny race with the process that will bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
