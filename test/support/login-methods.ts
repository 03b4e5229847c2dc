// Node-side (global setup): lets the wire client's tests log in with every method Postgres
// offers. The embedded cluster's pg_hba.conf says md5 for everyone (md5- and SCRAM-stored
// passwords are both tested through it); two test-only roles get `password` (cleartext) and
// `trust` lines ahead of it. Skipped for a server whose hba file is not ours to edit.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { LOGIN_ROLES } from './login-roles';
const MARKER = '# crm tests: wire client login methods';

export async function allowWireLoginMethods(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hbaFile = (await client.query<{ hba_file: string }>('show hba_file')).rows[0].hba_file;
    if (!existsSync(hbaFile)) return;
    const text = readFileSync(hbaFile, 'utf8');
    if (text.includes(MARKER)) return;
    const lines = [MARKER, `host all ${LOGIN_ROLES.cleartext} 127.0.0.1/32 password`, `host all ${LOGIN_ROLES.trust} 127.0.0.1/32 trust`, ''];
    writeFileSync(hbaFile, lines.join('\n') + text);
    await client.query('select pg_reload_conf()');
  } finally {
    await client.end();
  }
}
