import type { Context } from 'hono';
import { setMetric } from 'hono/timing';
import type { AppContext } from '../http/context';
import { withGrants } from '../sharing/access';
import type { UserGrants } from '../sharing/types';

/**
 * Runs a read under the caller's sharing grants (src/sharing/access.ts): from isolate memory
 * while the org's sharing version is unchanged (checked by a statement pipelined with the
 * read's own), else from the org's Durable Object. Every read route passes the grants to the
 * query compiler, which limits each statement to what they grant. Server-Timing says which.
 */
export async function underAccess<T>(c: Context<AppContext>, run: (access: UserGrants) => Promise<T>): Promise<T> {
  const { result, source, ms } = await withGrants(c.env, c.var.services.db, c.var.auth, run);
  setMetric(c, 'access', ms, source);
  return result;
}
