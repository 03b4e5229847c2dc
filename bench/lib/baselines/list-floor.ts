import type { Auth } from '../../../src/core/auth';
import type { UserGrants } from '../../../src/sharing/types';
import type { BaselineFactory, BenchContext } from '../context';
import { nodeDb } from '../node-db';
import { wranglerVars } from '../wrangler-vars';

/**
 * The db floor of a /v1/contacts request: the route's own steps (parseQueryString, then
 * listRows with the contacts ResourceDef, as src/resources/router.ts calls them) over a
 * Node connection, so the statements are the ones the Worker sends; cursors are decoded
 * with the Worker's secret (JWT_SECRET, as listContext does) and counts use its limit.
 * `as` gives another caller and the grants the Worker would apply to them (the `sharing`
 * scenario); without it, the bench caller without grants.
 */
export function listFloor(
  search: (ctx: BenchContext) => string,
  prefer?: string,
  as?: (ctx: BenchContext) => Promise<{ auth: Auth; access?: UserGrants }>,
): BaselineFactory {
  return async (ctx) => {
    // Loaded lazily: the list compiler is young, and a problem in it must cost only these
    // floors, not the whole run (appusers and empty do not need it).
    const [{ parseQueryString }, { listRows }, { CATALOG, RESOURCES }, { createQueryCaches }] = await Promise.all([
      import('../../../src/query/parse-query-string'),
      import('../../../src/query/execute'),
      import('../../../src/resources/registry'),
      import('../../../src/cache/isolate'),
    ]);
    const resource = RESOURCES.contacts;
    if (!resource) throw new Error('no contacts resource in src/resources/registry.ts');
    const req = parseQueryString(new URLSearchParams(search(ctx)), prefer);
    const caller = as ? await as(ctx) : { auth: ctx.auth };
    const list = { ...caller, catalog: CATALOG, caches: createQueryCaches(), secret: wranglerVars().JWT_SECRET, countLimit: ctx.countLimit };
    return async () => {
      const db = nodeDb(ctx.pg);
      await listRows({ ...list, db }, resource, req);
      return db.log.length;
    };
  };
}
