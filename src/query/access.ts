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
 * Records with no sharing of their own take it from the records they belong to: a contact's
 * loyalty entries (customer_relationships) from their contact; an address from the contacts and
 * companies that use it, any one of them sufficing, and an address nobody uses yet (created,
 * not linked) from no one. Applied where such records are addressed on their own (get by id,
 * writes, references); embedded, they come through a parent already under access.
 */
const DERIVED: Readonly<Record<string, ReadonlyArray<{ parent: string; on: 'child_key' | 'parent_key'; key: string }>>> = {
  customer_relationships: [{ parent: 'contacts', on: 'child_key', key: 'contact_id' }],
  addresses: [
    { parent: 'contacts', on: 'parent_key', key: 'address_id' },
    { parent: 'companies', on: 'parent_key', key: 'address_id' },
  ],
};

/**
 * The condition over `resource.alias` under which the caller may `mode` a row, or null when
 * nothing limits them (no grants given, not a shared resource, an admin, a public default).
 * `embedded`: the row is reached through a parent already under access (derived records then
 * add nothing).
 */
export function accessSql(
  grants: UserGrants | undefined,
  resource: ResourceDef,
  p: Params,
  catalog: Catalog,
  mode: Access = 'read',
  opts: { embedded?: boolean } = {},
): string | null {
  if (!grants) return null;
  if (Object.hasOwn(DERIVED, resource.name)) return opts.embedded ? null : derivedSql(grants, resource, p, catalog, mode);
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

/** What a write must be allowed on the record its `field` references: edit for the parent a derived record belongs to, read otherwise. */
export function referenceAccess(resource: ResourceDef, field: string): Access {
  const links = Object.hasOwn(DERIVED, resource.name) ? DERIVED[resource.name] : [];
  return links.some((l) => l.on === 'child_key' && l.key === field) ? 'edit' : 'read';
}

/** A derived record's condition: some parent the caller may `mode` holds it (or, for an address, none holds it). */
function derivedSql(grants: UserGrants, resource: ResourceDef, p: Params, catalog: Catalog, mode: Access): string | null {
  const a = resource.alias;
  const links = DERIVED[resource.name].map((link) => {
    const parent = catalog[link.parent];
    const pa = parent.alias;
    const joined = link.on === 'child_key' ? `${pa}.id = ${a}.${link.key}` : `${pa}.${link.key} = ${a}.id`;
    const held = `select 1 from ${parent.table} ${pa} where ${pa}.org_id = $1 and ${joined}`;
    return { held, access: accessSql(grants, parent, p, catalog, mode) };
  });
  if (links.every((l) => l.access === null)) return null;
  const allowed = links.map((l) => `exists (${l.held}${l.access ? ` and ${l.access}` : ''})`);
  // A loyalty entry always has its contact; an address may have no user yet.
  const unused = DERIVED[resource.name][0].on === 'parent_key' ? [`not (${links.map((l) => `exists (${l.held})`).join(' or ')})`] : [];
  return `(${[...allowed, ...unused].join(' or ')})`;
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
