import type { TestUser } from './factories';
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

/** A seeded user of the demo org by e-mail (member@demo.test, manager@demo.test, …). */
export async function seededUser(email: string): Promise<TestUser> {
  const [row] = await sql<{ id: string; org_id: string; role: TestUser['role'] }>(
    `select u.id, u.org_id, u.role from users u join orgs o on o.id = u.org_id and o.slug = 'demo' where lower(u.email) = lower($1)`,
    [email],
  );
  if (!row) throw new Error(`no seeded user ${email}`);
  return { id: row.id, orgId: row.org_id, role: row.role };
}
