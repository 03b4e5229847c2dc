import type { Access, ObjectGrant, ObjectType, UserGrants } from '../sharing/types';
import { OBJECT_RESOURCE } from '../sharing/types';
import { type CheckedFilter, checkFilters } from './check';
import { compileFilter } from './compile-filter';
import type { Params } from './params';
import { parseQueryBody } from './parse-json';
import type { Catalog, ResourceDef } from './resource';

/**
 * The access hook of the compiler (DESIGN §7): what the caller may see of a shared resource, as
 * one SQL condition beside the tenant predicate, in the same statement. Owners become
 * `owner_id = any($n)` (served by the `(org_id, owner_id …)` indexes), criteria rules compile
 * through the same whitelist and compiler as a client's filter, and manual shares are read once
 * per statement (an InitPlan over `record_shares`' grantee index), never per row.
 */
const OBJECT_OF: Readonly<Record<string, ObjectType>> = Object.fromEntries(Object.entries(OBJECT_RESOURCE).map(([type, name]) => [name, type as ObjectType]));

/** The shared object type a resource is, if any (users, teams, tags, pipelines are not shared per record). */
export function objectTypeOf(resource: ResourceDef): ObjectType | undefined {
  return Object.hasOwn(OBJECT_OF, resource.name) ? OBJECT_OF[resource.name] : undefined;
}

/** Whether the grant lets the caller `mode` every record of the type without a condition. */
function coversAll(g: ObjectGrant, mode: Access): boolean {
  return g.all === 'edit' || (mode === 'read' && g.all === 'read');
}

/**
 * The condition over `resource.alias` under which the caller may `mode` a row, or null when
 * nothing limits them (no grants given, not a shared resource, an admin, a public default).
 */
export function accessSql(grants: UserGrants | undefined, resource: ResourceDef, p: Params, catalog: Catalog, mode: Access = 'read'): string | null {
  if (!grants) return null;
  const type = objectTypeOf(resource);
  if (!type) return null;
  const g = grants.objects[type];
  if (coversAll(g, mode)) return null;
  const a = resource.alias;
  const parts: string[] = [];
  const owners = mode === 'read' ? g.readOwners : g.editOwners;
  if (owners.length && resource.fields.owner_id) parts.push(`${a}.owner_id = any(${p.add(owners)}::uuid[])`);
  for (const rule of g.criteria) if (mode === 'read' || rule.access === 'edit') parts.push(storedCriteriaSql(resource, rule.where, p, catalog));
  parts.push(sharedSql(type, a, g.shares, p, mode));
  return `(${parts.join(' or ')})`;
}

/** A criteria rule's `where` tree (the JSON dialect), checked and compiled as a client's filter would be. */
export function criteriaSql(resource: ResourceDef, where: unknown, p: Params, catalog: Catalog): string {
  const filters = checkFilters(resource, parseQueryBody({ where }).where, { catalog, path: 'criteria' });
  return filters.length ? `(${filters.map((f) => compileFilter(resource, f, p)).join(' and ')})` : 'true';
}

/**
 * A stored rule's criteria. The admin API checks them on the way in; one that no longer passes
 * (a field since removed from the whitelist) grants nothing rather than failing every read of
 * the users it targets: access fails closed.
 */
function storedCriteriaSql(resource: ResourceDef, where: unknown, p: Params, catalog: Catalog): string {
  let filters: CheckedFilter[];
  try {
    filters = checkFilters(resource, parseQueryBody({ where }).where, { catalog, path: 'criteria' });
  } catch {
    return 'false';
  }
  // Compiled only once checked, so a refused rule adds no parameter to the statement.
  return filters.length ? `(${filters.map((f) => compileFilter(resource, f, p)).join(' and ')})` : 'true';
}

/** Records shared by hand with the user or their team: one array per statement, then a hashed `= any`. */
function sharedSql(type: ObjectType, alias: string, shares: ObjectGrant['shares'], p: Params, mode: Access): string {
  const grantee = shares.teamId
    ? `((sh.grantee_type = 'user' and sh.grantee_id = ${p.add(shares.userId)}::uuid) or (sh.grantee_type = 'team' and sh.grantee_id = ${p.add(shares.teamId)}::uuid))`
    : `(sh.grantee_type = 'user' and sh.grantee_id = ${p.add(shares.userId)}::uuid)`;
  const edit = mode === 'edit' ? ` and sh.access = 'edit'` : '';
  // `type` comes from the closed list of object types, never from input.
  return `${alias}.id = any(array(select sh.record_id from record_shares sh where sh.org_id = $1 and sh.object_type = '${type}' and ${grantee}${edit}))`;
}
