import type pg from 'pg';
import { signToken } from '../../scripts/lib/jwt';
import type { Auth } from '../../src/core/auth';
import { wranglerVars } from './wrangler-vars';

export const BENCH_USER = { email: 'admin@demo.test', org: 'demo' } as const;
/** The `sharing` scenario's member: seeded in the demo org, whose contacts, deals and leads are private. */
export const BENCH_MEMBER = { email: 'member@demo.test', org: BENCH_USER.org } as const;

/**
 * The bench caller, made the way scripts/token.ts makes a token (look the user up, sign
 * sub/org/role with iat/exp), signed with the secret the Worker will verify with and living
 * as long as it accepts (TOKEN_MAX_AGE_SECONDS, a day by default: longer than any run).
 */
export async function benchCaller(client: pg.Client, who: { email: string; org: string } = BENCH_USER): Promise<{ auth: Auth; token: string }> {
  const { rows } = await client.query<{ id: string; org_id: string; role: Auth['role'] }>(
    `select u.id, u.org_id, u.role from users u join orgs o on o.id = u.org_id
      where lower(u.email) = $1 and u.is_active and o.slug = $2 limit 1`,
    [who.email, who.org],
  );
  if (!rows.length) throw new Error(`no active user ${who.email} in org ${who.org}: is the dataset seeded?`);
  const u = rows[0];
  const vars = wranglerVars();
  const token = await signToken({ sub: u.id, org: u.org_id, role: u.role }, Number(vars.TOKEN_MAX_AGE_SECONDS ?? 86_400), vars.JWT_SECRET);
  return { auth: { userId: u.id, orgId: u.org_id, role: u.role }, token };
}

export interface Caller {
  email: string;
  auth: Auth;
  token: string;
}

/** The admin and the member the `sharing` scenario compares, and the org they are in. */
export interface SharingCallers {
  org: string;
  admin: Caller;
  member: Caller;
  /** Set when the scenario had to leave the bench org. */
  note?: string;
}

/**
 * A member against an admin is only a comparison where the org keeps contacts private (a member
 * of a public org sees what the admin sees). The bench org when it does (the seed makes the demo
 * org so), else the first org that does, with a note; none is an error. In the org chosen:
 * `admin@`/`member@<slug>.test` when they exist, else its first active admin and member.
 */
export async function sharingCallers(client: pg.Client): Promise<SharingCallers> {
  const { rows } = await client.query<{ slug: string }>(
    `select o.slug from orgs o join sharing_settings s on s.org_id = o.id
      where s.object_type = 'contact' and s.default_access = 'private'
      order by o.slug = $1 desc, o.slug limit 1`,
    [BENCH_USER.org],
  );
  if (!rows.length)
    throw new Error(
      'no org keeps its contacts private (sharing_settings): a member would see what an admin sees, so the sharing scenario would measure nothing',
    );
  const org = rows[0].slug;
  const pick = async (role: Auth['role'], preferred: string): Promise<string> => {
    const found = await client.query<{ email: string }>(
      `select lower(u.email) as email from users u join orgs o on o.id = u.org_id
        where o.slug = $1 and u.role = $2 and u.is_active order by lower(u.email) = $3 desc, lower(u.email) limit 1`,
      [org, role, preferred],
    );
    if (!found.rows.length) throw new Error(`org ${org} has no active ${role}: the sharing scenario compares a member with an admin`);
    return found.rows[0].email;
  };
  const inBenchOrg = org === BENCH_USER.org;
  const caller = async (email: string): Promise<Caller> => ({ email, ...(await benchCaller(client, { email, org })) });
  const admin = await caller(await pick('admin', inBenchOrg ? BENCH_USER.email : `admin@${org}.test`));
  const member = await caller(await pick('member', inBenchOrg ? BENCH_MEMBER.email : `member@${org}.test`));
  return {
    org,
    admin,
    member,
    ...(inBenchOrg ? {} : { note: `org ${BENCH_USER.org} does not keep contacts private: the sharing scenario runs in org ${org}` }),
  };
}
