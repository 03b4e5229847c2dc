// npm run dev — Postgres (embedded unless DATABASE_URL), migrations, a demo dataset when the
// database is empty, then `wrangler dev` on http://localhost:8787. Ctrl-C stops what it started.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { parseArgs, ROOT } from './lib/config';
import { signToken } from './lib/jwt';
import { ensurePostgres, migrateDatabase } from './lib/postgres';
import { seedDatabase } from './lib/seed/index';

const args = parseArgs();
const PORT = Number(args.port ?? process.env.PORT ?? 8787);
const DEMO_CONTACTS = Number(args.contacts ?? process.env.CRM_DEV_CONTACTS ?? 50_000);

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

async function waitForHealth(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`wrangler dev did not answer ${url}/healthz within ${timeoutMs / 1000}s`);
}

const server = await ensurePostgres();
await migrateDatabase(server.url);
const [{ n }] = await query<{ n: number }>(server.url, 'select count(*)::int as n from orgs');
if (n === 0) {
  console.log(`empty database: seeding a demo dataset (${DEMO_CONTACTS} contacts)…`);
  await seedDatabase(server.url, { contacts: DEMO_CONTACTS, orgs: 4, seed: 42, log: (s) => console.log(`  ${s}`) });
}

// --test-scheduled: the cron triggers answer at /cdn-cgi/handler/scheduled (printed below).
const wrangler = spawn('npx', ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--test-scheduled'], {
  cwd: ROOT,
  stdio: 'inherit',
  detached: true,
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: server.url,
    // Locally there is no query cache: both bindings reach the same database.
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE_CACHED: server.url,
  },
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    if (wrangler.pid) process.kill(-wrangler.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await server.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
wrangler.on('exit', (code) => void stop(code ?? 0));

const base = `http://localhost:${PORT}`;
await waitForHealth(base);
const [admin] = await query<{ id: string; org_id: string; role: string }>(
  server.url,
  `select u.id, u.org_id, u.role from users u join orgs o on o.id = u.org_id where o.slug = 'demo' and lower(u.email) = 'admin@demo.test'`,
);
console.log(`\nEdge CRM API ready on ${base}  (docs: ${base}/docs)`);
if (admin) {
  const token = await signToken({ sub: admin.id, org: admin.org_id, role: admin.role });
  console.log(`\nToken for admin@demo.test (24 h):\n${token}\n`);
  console.log(`Try:\n  curl -H "Authorization: Bearer ${token}" '${base}/api/v1/appusers/?first_name=an&city=ber&ordering=-created&page=2&page_size=5'`);
  console.log(`  or: curl -H "Authorization: Bearer $(npm run -s token -- --email admin@demo.test)" '${base}/api/v1/appusers/?city=ber'\n`);
  // The cron triggers of wrangler.toml, fired by hand (wrangler dev --test-scheduled).
  console.log(`Cron jobs:\n  curl '${base}/cdn-cgi/handler/scheduled?cron=*/15+*+*+*+*'   # expired idempotency keys and exports`);
  console.log(`  curl '${base}/cdn-cgi/handler/scheduled?cron=0+3+*+*+*'      # audit upkeep: partitions ahead, archive past retention\n`);
}
