import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { onCleanup } from './cleanup';
import { freePort, sleep, spawnGroup } from './process';

export interface Pooler {
  /** Connection string for the Worker: same user, password and database, through the pooler. */
  url: string;
  version: string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

function findBinary(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function aptInstall(log: (m: string) => void): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pgbouncer'], { env, encoding: 'utf8' });
  log('pgbouncer is not installed; installing the Debian package (apt-get install -y pgbouncer)…');
  if (install().status === 0) return true;
  // A fresh image has empty package lists: refresh once, then retry.
  log('install failed; running apt-get update and retrying…');
  spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
  const retry = install();
  if (retry.status !== 0) log(`apt-get install pgbouncer failed:\n${(retry.stderr || retry.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return retry.status === 0;
}

/**
 * The pgbouncer binary, installing Debian's package when we are root. Returns null with a
 * printed reason when it cannot be had, so the run goes on in direct mode only.
 */
export function ensurePgbouncer(log: (m: string) => void): string | null {
  let bin = findBinary();
  if (!bin && process.getuid?.() === 0) {
    if (aptInstall(log)) bin = findBinary();
  }
  if (!bin) {
    log('pooled mode skipped: PgBouncer is missing. Install it (as root: apt-get install -y pgbouncer) and run again.');
    return null;
  }
  return bin;
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Transaction pooling like Hyperdrive; pool size ~20 (well under max_connections). */
function configText(db: URL, port: number, dir: string): string {
  const name = decodeURIComponent(db.pathname.slice(1));
  const user = decodeURIComponent(db.username);
  const password = decodeURIComponent(db.password);
  return `[databases]
${name} = host=${db.hostname} port=${db.port || 5432} dbname=${name} user=${user} password=${password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = md5
auth_file = ${path.join(dir, 'userlist.txt')}
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,options,statement_timeout
; The Worker opens a client connection per request: logging each one would cost the pooler
; more than the pooling does.
log_connections = 0
log_disconnections = 0
stats_period = 3600
`;
}

async function waitReady(url: string, exited: Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until && !gone) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('select 1');
      return;
    } catch (err) {
      last = String(err);
    } finally {
      await c.end().catch(() => {});
    }
    await sleep(200);
  }
  throw new Error(`PgBouncer did not accept connections (${gone ? 'it exited' : 'timed out'}; last error: ${last})`);
}

/**
 * Starts PgBouncer in front of `dbUrl`, config and auth file in `dir`. As root it runs as the
 * `postgres` OS user (PgBouncer refuses root), so the directory is handed to that user.
 * `port`: where it listens (the test setup fixes one); a free one by default.
 */
export async function startPgbouncer(bin: string, dbUrl: string, dir: string, log: (m: string) => void, opts: { port?: number } = {}): Promise<Pooler> {
  const db = new URL(dbUrl);
  const port = opts.port ?? (await freePort());
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'userlist.txt'), `"${decodeURIComponent(db.username)}" "${decodeURIComponent(db.password)}"\n`, { mode: 0o600 });
  writeFileSync(ini, configText(db, port, dir), { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = postgresIds();
    for (const p of [dir, ini, path.join(dir, 'userlist.txt')]) chownSync(p, uid, gid);
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  const [cmd, args] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ini]] : [bin, [ini]];
  const proc = spawnGroup(cmd, args, path.join(dir, 'pgbouncer.log'));
  const stop = onCleanup('pgbouncer', () => proc.stop());
  const url = new URL(dbUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  try {
    await waitReady(url.toString(), proc.exited);
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n--- pgbouncer log ---\n${proc.logTail()}`);
  }
  log(`${version} on 127.0.0.1:${port} (transaction mode, pool 20)`);
  return { url: url.toString(), version, stop };
}
