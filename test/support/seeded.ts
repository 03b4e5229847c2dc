import { tokenFor } from './http';
import { sql } from './sql';

/** The largest seeded org (`demo`, about half the rows) and its admin: what plan tests run as. */
export async function demoOrg(): Promise<{ orgId: string; userId: string; contacts: number }> {
  const [row] = await sql<{ org_id: string; user_id: string; contacts: number }>(
    `select o.id as org_id, u.id as user_id, (select count(*)::int from contacts c where c.org_id = o.id) as contacts
       from orgs o join users u on u.org_id = o.id and lower(u.email) = 'admin@demo.test' where o.slug = 'demo'`,
  );
  if (!row) throw new Error('the test database is not seeded (test/global-setup.ts seeds it)');
  return { orgId: row.org_id, userId: row.user_id, contacts: row.contacts };
}

/** The demo org and a bearer token of its admin, for route tests on the seeded data. */
export async function demoAdmin(): Promise<{ orgId: string; token: string }> {
  const demo = await demoOrg();
  return { orgId: demo.orgId, token: await tokenFor({ id: demo.userId, orgId: demo.orgId, role: 'admin' }) };
}
