// npm run token -- --email admin@demo.test [--org demo] [--ttl 86400]
// Prints a bearer token (HS256, claims sub/org/role/iat/exp) for that user, nothing else on stdout.
// --ttl defaults to the longest lifetime the Worker accepts (TOKEN_MAX_AGE_SECONDS); a longer
// one is refused rather than capped, so nobody is handed a token shorter than they asked for.
import pg from 'pg';
import { parseArgs } from './lib/config';
import { signToken, tokenMaxAgeSeconds } from './lib/jwt';
import { ensurePostgres } from './lib/postgres';

const args = parseArgs();
const email = typeof args.email === 'string' ? args.email.trim().toLowerCase() : '';
const maxAge = tokenMaxAgeSeconds();
const ttl = Number(args.ttl ?? maxAge);
if (!email || !Number.isInteger(ttl) || ttl <= 0) {
  console.error('usage: npm run token -- --email <user email> [--org <org slug>] [--ttl <seconds>]');
  process.exit(2);
}
if (ttl > maxAge) {
  console.error(`--ttl ${ttl} is longer than the Worker accepts (TOKEN_MAX_AGE_SECONDS = ${maxAge}); ask for ${maxAge} or less`);
  process.exit(2);
}

const server = await ensurePostgres({ quiet: true });
const client = new pg.Client({ connectionString: server.url });
try {
  await client.connect();
  const { rows } = await client.query<{ id: string; org_id: string; role: string; slug: string }>(
    `select u.id, u.org_id, u.role, o.slug from users u join orgs o on o.id = u.org_id
      where lower(u.email) = $1 and u.is_active and ($2::text is null or o.slug = $2) order by o.created_at limit 2`,
    [email, typeof args.org === 'string' ? args.org : null],
  );
  if (!rows.length) {
    console.error(`no active user with email ${email}${args.org ? ` in org ${args.org}` : ''} (has the database been seeded? npm run db:seed)`);
    process.exitCode = 1;
  } else {
    if (rows.length > 1) console.error(`note: ${email} exists in several orgs; using ${rows[0].slug} (pass --org to choose)`);
    const u = rows[0];
    console.log(await signToken({ sub: u.id, org: u.org_id, role: u.role }, ttl));
  }
} finally {
  await client.end().catch(() => {});
  await server.stop();
}
