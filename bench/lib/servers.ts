import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './cleanup';
import type { Mode } from './options';
import { ensurePgbouncer, startPgbouncer } from './pgbouncer';
import { startWrangler } from './wrangler';

export interface ModeServer {
  mode: Mode;
  baseUrl: string;
  /** wrangler dev's process group (see DevServer.pid). */
  pid: number;
  /** wrangler dev's inspector port (see DevServer.inspectorPort). */
  inspectorPort: number;
  /** What the Worker's Hyperdrive connects to, for the notes. */
  via: string;
  stop(): Promise<void>;
}

let pgbouncerBin: string | null | undefined;

/** PgBouncer's binary once per run; null (with a printed reason) means no pooled mode. */
export function pooledAvailable(log: (m: string) => void): boolean {
  if (pgbouncerBin === undefined) pgbouncerBin = ensurePgbouncer(log);
  return pgbouncerBin !== null;
}

/**
 * The server stack of one mode. pooled: Worker → PgBouncer (transaction mode) → Postgres,
 * standing in for Hyperdrive's warm pool. direct: Worker → Postgres, a connection per
 * request, which is what `wrangler dev` gives by default.
 */
export async function startMode(mode: Mode, dbUrl: string, runDir: string, log: (m: string) => void): Promise<ModeServer> {
  let hyperdriveUrl = dbUrl;
  let stopPooler = async () => {};
  let via = 'Postgres directly, a new connection per request';
  if (mode === 'pooled') {
    if (!pooledAvailable(log) || !pgbouncerBin) throw new Error('PgBouncer is not available');
    // Its own world-traversable directory: PgBouncer runs as the postgres user.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-bench-pgbouncer-'));
    chmodSync(dir, 0o755);
    // Registered before PgBouncer's own stop, so it runs after it (cleanup is newest first).
    const removeDir = onCleanup('pgbouncer dir', async () => rmSync(dir, { recursive: true, force: true }));
    const pooler = await startPgbouncer(pgbouncerBin, dbUrl, dir, log).catch(async (err) => {
      await removeDir();
      throw err;
    });
    hyperdriveUrl = pooler.url;
    stopPooler = async () => {
      await pooler.stop();
      await removeDir();
    };
    via = `${pooler.version}, transaction mode, pool 20`;
  }
  try {
    const server = await startWrangler(hyperdriveUrl, path.join(runDir, mode), log);
    return {
      mode,
      baseUrl: server.baseUrl,
      pid: server.pid,
      inspectorPort: server.inspectorPort,
      via,
      stop: async () => {
        await server.stop();
        await stopPooler();
      },
    };
  } catch (err) {
    await stopPooler();
    throw err;
  }
}
