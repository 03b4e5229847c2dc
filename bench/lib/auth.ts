import type pg from 'pg';
import { signToken } from '../../scripts/lib/jwt';
import type { Auth } from '../../src/core/auth';
import { wranglerVars } from './wrangler-vars';

export const BENCH_USER = { email: 'admin@demo.test', org: 'demo' } as const;

/**
 * The bench caller, made the way scripts/token.ts makes a token (look the user up, sign
 * sub/org/role with iat/exp), signed with the secret the Worker will verify with and living
 * as long as it accepts (TOKEN_MAX_AGE_SECONDS, a day by default: longer than any run).
 */
export async function benchCaller(client: pg.Client, who = BENCH_USER): Promise<{ auth: Auth; token: string }> {
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
