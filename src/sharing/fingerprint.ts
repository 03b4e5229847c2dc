import { SHARED_OBJECT_TYPES } from '../core/enums';
import { sha256Hex } from '../core/hash';
import type { ObjectGrant, ObjectType } from './types';

/**
 * The access fingerprint: SHA-256 (hex) of the canonical JSON of what the grants let a user read
 * and edit, with the org and the sharing version. Cache tiers key shared entries by it, so two
 * users with different access must never collide: a cryptographic hash, not a fast one.
 *
 * Only what changes the outcome goes in (`effectiveAccess`), so users whose grants differ
 * in ways no record can tell apart share entries: in an org without sharing settings, every
 * user (all `edit` everywhere) has one fingerprint per version.
 */
export async function fingerprintOf(orgId: string, version: number, objects: Record<ObjectType, ObjectGrant>): Promise<string> {
  return sha256Hex(canonicalAccess(orgId, version, objects));
}

/**
 * The text the fingerprint hashes: object types in their fixed order, every object's keys
 * sorted. Owner lists are written once each, in order of first appearance, and referred to by
 * position: a manager's subtree of thousands is usually the same list for every object type.
 */
export function canonicalAccess(orgId: string, version: number, objects: Record<ObjectType, ObjectGrant>): string {
  const lists: string[][] = [];
  const ref = (list: readonly string[]) => {
    let i = lists.findIndex((l) => l === list || (l.length === list.length && l.every((id, k) => id === list[k])));
    if (i < 0) i = lists.push([...list]) - 1;
    return i;
  };
  const access = SHARED_OBJECT_TYPES.map((type) => [type, effectiveAccess(objects[type], ref)]);
  // Owner ids are strings, so JSON.stringify writes the lists canonically, and fast.
  return `{"lists":${JSON.stringify(lists)},"rest":${canonicalJson({ orgId, version, objects: access })}}`;
}

/**
 * A grant reduced to what decides which records the user reads and which they edit:
 * - `all: 'edit'`: nothing else can add to it;
 * - `all: 'read'`: every record reads, so only what grants edit still counts (edit owners,
 *   edit criteria, and the share principals, since a share may grant edit);
 * - `all: 'none'`: all of it.
 * Rule names are labels, not access, and stay out.
 */
export function effectiveAccess(grant: ObjectGrant, owners: (list: readonly string[]) => unknown = (list) => list): unknown {
  const criteria = (access: 'edit' | 'any') =>
    grant.criteria.filter((c) => access === 'any' || c.access === access).map((c) => ({ ruleId: c.ruleId, access: c.access, where: c.where }));
  switch (grant.all) {
    case 'edit':
      return { all: 'edit' };
    case 'read':
      return { all: 'read', editOwners: owners(grant.editOwners), criteria: criteria('edit'), shares: grant.shares };
    default:
      return { all: 'none', readOwners: owners(grant.readOwners), editOwners: owners(grant.editOwners), criteria: criteria('any'), shares: grant.shares };
  }
}

/** JSON with every object's keys sorted (criteria trees come from jsonb or from a client, in any key order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
