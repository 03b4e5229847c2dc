/**
 * The `sharing` scenario (BENCH.md: "`filter` as a member under private defaults, hierarchy and
 * rules vs as admin"; issue 23, part 8), and the effective-grant lookup timings issue 23 asks
 * for ("p95 < 1 ms from isolate memory and < 5 ms through the OrgDO").
 *
 * - The `filter` request as the member, in turns with the same request as the org's admin
 *   (member, empty, admin, empty, db floor, …): the goal compares the two p95s.
 * - The grant lookup. Server-Timing's `access` entry says where the grants came from and, through
 *   the org's Durable Object, how long the Worker waited for it (its clock advances across the
 *   RPC; from memory the entry is 0, as Workers' clock stands still without I/O). So a cheap
 *   request is sent twice in turns as the member: as it comes (grants from isolate memory) and
 *   right after the bench raised the org's sharing version by SQL, untimed, which makes the
 *   Worker fetch the grants from the org's Durable Object. The second's `access` durations are
 *   the object's cost; what it costs over the first end to end is reported too (an upper bound:
 *   it also holds the read run again under the new grants). The Durable Object path in two forms: the member's request is the first after the change
 *   (the object reloads the org's snapshot from Postgres), or the admin's request, sent untimed
 *   after the change, already made the object reload it (the member's then costs the call and
 *   the compile of the member's grants: what most isolates and users meet after a change).
 *   Every answer's Server-Timing entry is counted to show that each request took the path it
 *   stands for. The memory lookup itself is timed in Node with the Worker's own code.
 */
import type { Auth } from '../../src/core/auth';
import type { UserGrants } from '../../src/sharing/types';
import { type Caller, type SharingCallers, sharingCallers } from './auth';
import { listFloor } from './baselines/list-floor';
import type { BaselineFactory, BenchContext, HttpRequest, ResponseHeaders, Scenario, Variant } from './context';
import { CONTACTS, FILTERS, filterSearch } from './filter-request';
import { nodeDb } from './node-db';

const CALLERS_KEY = 'sharing.callers';
const SETUP_KEY = 'sharing.setup';

/** The filter's orders: BENCH.md's "order by another column" (last_name), and newest first. */
export const SHARING_ORDERS = ['last_name', 'created_at'] as const;
export const adminLabel = (field: string) => `admin, filter by ${field}`;
export const memberLabel = (field: string) => `member, filter by ${field}`;
export const isMemberFilter = (label: string) => label.startsWith('member, filter by ');
export const MEMORY_LABEL = 'member, grants from isolate memory';
/** The OrgDO holds the org's snapshot at the new version (another user's request reloaded it): RPC and the member's compile. */
export const ORG_DO_HELD_LABEL = 'member, grants from the OrgDO, snapshot held';
/** The member's request is the first after the change: the OrgDO reloads the org's snapshot from Postgres first. */
export const ORG_DO_RELOAD_LABEL = 'member, grants from the OrgDO, snapshot reloaded';
export const isOrgDo = (label: string) => label === ORG_DO_HELD_LABEL || label === ORG_DO_RELOAD_LABEL;
/** The lookup pair's request: one id of the member's first page, so the read costs little beside the lookup. */
export const LOOKUP_SEARCH = 'select=id&limit=1';
/** Server-Timing `access` descriptions (src/sharing/access.ts GrantsSource), as `grantsSource` names them. */
export const FROM_MEMORY = 'grants from memory';
export const FROM_ORG_DO = 'grants from durable-object';

type Who = 'admin' | 'member';

/** The admin and member, found by the first probe and kept for the (synchronous) request builders. */
async function resolveCallers(ctx: BenchContext): Promise<SharingCallers> {
  const held = ctx.found.get(CALLERS_KEY);
  if (held) return JSON.parse(held) as SharingCallers;
  const callers = await sharingCallers(ctx.pg);
  ctx.found.set(CALLERS_KEY, JSON.stringify(callers));
  if (callers.note) ctx.log(`  sharing: ${callers.note}`);
  return callers;
}

function callerOf(ctx: BenchContext, who: Who): Caller {
  const held = ctx.found.get(CALLERS_KEY);
  if (!held) throw new Error('sharing: the callers are found by the probe, which has not run');
  return (JSON.parse(held) as SharingCallers)[who];
}

/** Where the Worker took the caller's grants from: Server-Timing's `access` entry (src/resources/access.ts). */
export function grantsSource(headers: ResponseHeaders): string {
  const raw = headers['server-timing'];
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const m = /(?:^|,)\s*access;[^,]*?desc="?([^",;]*)/.exec(text);
  return m ? `grants from ${m[1]}` : 'no access entry in Server-Timing';
}

/**
 * The time the Worker waited for the org's Durable Object, from Server-Timing's `access` entry
 * (`dur`, 0 from memory; src/resources/access.ts): the Worker's clock advances across the RPC,
 * so this is the object's real cost as the Worker meets it, RPC and compile (and reload) included.
 */
export function accessDuration(headers: ResponseHeaders): number | undefined {
  const raw = headers['server-timing'];
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const m = /(?:^|,)\s*access;(?:[^,]*;)?\s*dur=([0-9.]+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The caller and the grants the Worker applies to them: the org's snapshot loaded and compiled by src/sharing's own code. */
export async function callerGrants(ctx: BenchContext, who: Who): Promise<{ auth: Auth; access: UserGrants }> {
  // Loaded lazily, as listFloor loads the compiler: a problem there costs this scenario only.
  const [{ loadSnapshot }, { compileGrants }] = await Promise.all([import('../../src/sharing/snapshot'), import('../../src/sharing/grants')]);
  const { auth } = callerOf(ctx, who);
  const snapshot = await loadSnapshot(nodeDb(ctx.pg), auth.orgId);
  return { auth, access: await compileGrants(snapshot, auth.userId) };
}

/**
 * Raises the org's sharing version, as a write to users, teams or sharing rules does
 * (src/write/generation.ts), and nothing else: the grants every isolate holds are then too old,
 * and the next request's come from the org's Durable Object, which first reloads the org's
 * snapshot from Postgres. The version only ever rises; a raised one changes no one's access.
 */
export async function raiseSharingVersion(ctx: BenchContext, orgId: string): Promise<void> {
  await ctx.pg.query(
    `insert into org_generations (org_id, sharing_version) values ($1, 1)
     on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
    [orgId],
  );
}

/**
 * The admin's lookup request, untimed: after a change it makes the org's Durable Object reload
 * the snapshot, so that the member's request that follows finds it held. Then the empty route,
 * as between any two database requests in turns (measure-scenario.ts turnOrder): the work the
 * admin's request leaves behind (its connection closed after the response) must not land on
 * the member's request.
 */
async function adminFirst(ctx: BenchContext): Promise<void> {
  const send = async (path: string, headers: Record<string, string>) => {
    const res = await fetch(`${ctx.baseUrl}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path} before the member's request answered ${res.status}`);
  };
  await send(`${CONTACTS}?${LOOKUP_SEARCH}`, { Authorization: `Bearer ${callerOf(ctx, 'admin').token}` });
  await send('/empty', {});
}

/** A GET of /v1/contacts as the admin or the member, counting where each answer's grants came from. */
function asCaller(who: Who, search: string): (ctx: BenchContext) => HttpRequest {
  return (ctx) => ({
    path: `${CONTACTS}?${search}`,
    headers: { Authorization: `Bearer ${callerOf(ctx, who).token}` },
    tally: grantsSource,
    timing: { what: 'grant lookup (Server-Timing access;dur)', from: accessDuration },
  });
}

/**
 * The lookup from isolate memory as the Worker does it on a hit (src/sharing/access.ts
 * withGrants): the member's compiled grants from the isolate's memo (createGrantsMemo with
 * CACHE_POLICY.grants), then the org's sharing version read and compared. In the Worker that
 * statement is pipelined with the read; here it is a round trip of its own on the warm
 * connection, so this is an upper bound.
 */
export const memoryLookup: BaselineFactory = async (ctx) => {
  const [{ createGrantsMemo }, { CACHE_POLICY }, { readSharingVersion }] = await Promise.all([
    import('../../src/sharing/grants-memo'),
    import('../../src/cache/isolate'),
    import('../../src/sharing/snapshot'),
  ]);
  const { auth, access } = await callerGrants(ctx, 'member');
  const memo = createGrantsMemo(CACHE_POLICY.grants);
  const key = `${auth.orgId}:${auth.userId}`;
  memo.set(key, access);
  return async () => {
    const held = memo.get(key);
    const version = await readSharingVersion(nodeDb(ctx.pg), auth.orgId);
    if (!held || version > held.version) throw new Error("the grants held are older than the org's sharing version");
  };
};

const approx = (c: { value: number; method: string } | undefined) =>
  c ? `${c.method === 'exact' ? '' : '~'}${c.value.toLocaleString('en')}${c.method === 'exact' ? '' : ` (${c.method})`}` : '?';

/**
 * What the comparison is made under, for the notes: the org's contact setting and rules, what
 * the member's grants hold, and how many contacts each caller sees, in all and under the
 * filter (counted by the API's own list code, exactly up to its budget).
 */
async function describeSetup(ctx: BenchContext): Promise<void> {
  if (ctx.found.has(SETUP_KEY)) return;
  const [{ parseQueryString }, { listRows }, { CATALOG, RESOURCES }, { createQueryCaches }, { loadSnapshot }] = await Promise.all([
    import('../../src/query/parse-query-string'),
    import('../../src/query/execute'),
    import('../../src/resources/registry'),
    import('../../src/cache/isolate'),
    import('../../src/sharing/snapshot'),
  ]);
  const callers = await resolveCallers(ctx);
  const snapshot = await loadSnapshot(nodeDb(ctx.pg), callers.member.auth.orgId);
  const setting = snapshot.settings.contact;
  const rules = snapshot.rules.filter((r) => r.objectType === 'contact');
  const member = (await callerGrants(ctx, 'member')).access.objects.contact;
  const count = async (who: Who, search: string) => {
    const { auth, access } = await callerGrants(ctx, who);
    const list = { auth, access, db: nodeDb(ctx.pg), catalog: CATALOG, caches: createQueryCaches(), countLimit: ctx.countLimit };
    return (await listRows(list, RESOURCES.contacts!, parseQueryString(new URLSearchParams(search), 'count=exact'))).count;
  };
  const [adminAll, memberAll, adminFilter, memberFilter] = [
    await count('admin', 'limit=0'),
    await count('member', 'limit=0'),
    await count('admin', `${FILTERS}&limit=0`),
    await count('member', `${FILTERS}&limit=0`),
  ];
  const text =
    `org ${callers.org}: contacts ${setting?.defaultAccess ?? 'public_read_write (unset)'}, hierarchy ${setting?.grantHierarchy === false ? 'off' : 'on'}, ` +
    `${rules.filter((r) => r.kind === 'owner').length} owner and ${rules.filter((r) => r.kind === 'criteria').length} criteria rule(s) on contacts; ` +
    `${callers.member.email} (${callers.member.auth.role}) reads all: ${member.all}, records of ${member.readOwners.length} owner(s), ${member.criteria.length} criteria rule(s) and manual shares, ` +
    `${approx(memberAll)} of ${approx(adminAll)} contacts, ${approx(memberFilter)} of ${approx(adminFilter)} under the filter; admin ${callers.admin.email}`;
  ctx.found.set(SETUP_KEY, text);
  ctx.log(`  sharing: ${text}`);
}

const setup = (ctx: BenchContext) => ctx.found.get(SETUP_KEY) ?? '';

function filterPair(field: string): Variant[] {
  const search = filterSearch(field);
  return [
    {
      label: adminLabel(field),
      request: asCaller('admin', search),
      floor: listFloor(
        () => search,
        undefined,
        (ctx) => callerGrants(ctx, 'admin'),
      ),
      notes: (ctx) => `the filter request as the admin, for the member's rows to take turns with; ${setup(ctx)}`,
    },
    {
      label: memberLabel(field),
      request: asCaller('member', search),
      floor: listFloor(
        () => search,
        undefined,
        (ctx) => callerGrants(ctx, 'member'),
      ),
      reference: adminLabel(field),
      notes: (ctx) => `the filter request as the member, in turns with the admin's; its db floor runs under the member's grants; ${setup(ctx)}`,
    },
  ];
}

export const SHARING_SCENARIO: Scenario = {
  id: 'sharing',
  auth: true,
  // The filter request as both callers: found here, before any request is built.
  probe: async (ctx) => {
    await resolveCallers(ctx);
    return [asCaller('admin', filterSearch('last_name'))(ctx), asCaller('member', filterSearch('last_name'))(ctx)];
  },
  prepare: describeSetup,
  variants: [
    ...SHARING_ORDERS.flatMap(filterPair),
    {
      label: MEMORY_LABEL,
      request: asCaller('member', LOOKUP_SEARCH),
      floor: listFloor(
        () => LOOKUP_SEARCH,
        undefined,
        (ctx) => callerGrants(ctx, 'member'),
      ),
      concurrency: [1],
      local: { what: 'lookup from isolate memory timed in Node (memo + the version statement as its own round trip: an upper bound)', factory: memoryLookup },
      notes: 'the grant-lookup pair, as it comes: the member grants from isolate memory, the version statement pipelined with the read',
    },
    {
      label: ORG_DO_HELD_LABEL,
      request: (ctx) => {
        const orgId = callerOf(ctx, 'member').auth.orgId;
        const before = async () => {
          await raiseSharingVersion(ctx, orgId);
          await adminFirst(ctx);
        };
        return { ...asCaller('member', LOOKUP_SEARCH)(ctx), before };
      },
      reference: MEMORY_LABEL,
      concurrency: [1],
      notes:
        "the grant-lookup pair after a change, the org's snapshot already reloaded: before each request (untimed) the bench raises the org's sharing version and sends the admin's lookup request, whose grants make the org's Durable Object reload the snapshot, then the empty route; the member's request then drops the read it ran under the grants it held, reads the version again, asks the object (which compiles the member's grants from the snapshot it holds) and runs the read again",
    },
    {
      label: ORG_DO_RELOAD_LABEL,
      request: (ctx) => {
        const orgId = callerOf(ctx, 'member').auth.orgId;
        return { ...asCaller('member', LOOKUP_SEARCH)(ctx), before: () => raiseSharingVersion(ctx, orgId) };
      },
      reference: MEMORY_LABEL,
      concurrency: [1],
      notes:
        "the grant-lookup pair right after a change: before each request (untimed) the bench raises the org's sharing version, so the member's request drops the read it ran under the grants it held, reads the version again, asks the org's Durable Object (which reloads the org's snapshot from Postgres, stores it and compiles the member's grants) and runs the read again",
    },
  ],
};
