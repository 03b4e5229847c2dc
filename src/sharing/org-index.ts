import type { OrgSnapshot, SnapshotUser } from './types';

/**
 * An org's users numbered in id order, with the lookups compiling grants needs. Owner sets are
 * built as numbers and sorted as numbers (a typed-array sort), then read back as ids already in
 * id order: a manager over 10,000 users compiles in about a millisecond instead of sorting
 * 10,000 strings per object type.
 */
export interface OrgIndex {
  /** User ids, sorted: a user's number is their position here. */
  ids: string[];
  /** Users by number. */
  users: SnapshotUser[];
  numberOf: Map<string, number>;
  /** Direct reports' numbers, by manager number. */
  reports: number[][];
  /** Members' numbers by team id, and holders' numbers by role. */
  byTeam: Map<string, number[]>;
  byRole: Map<string, number[]>;
}

// Snapshots are immutable once loaded (the Durable Object replaces them, it never edits one),
// so one is indexed once however many of its users compile: each compilation then costs what
// it grants, not what the org holds. Weakly held: the index goes with its snapshot.
const INDEXES = new WeakMap<OrgSnapshot, OrgIndex>();

export function indexOf(snapshot: OrgSnapshot): OrgIndex {
  const known = INDEXES.get(snapshot);
  if (known) return known;
  const users = [...snapshot.users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index: OrgIndex = {
    ids: users.map((u) => u.id),
    users,
    numberOf: new Map(users.map((u, n) => [u.id, n])),
    reports: users.map(() => []),
    byTeam: new Map(),
    byRole: new Map(),
  };
  for (const [n, u] of users.entries()) {
    const manager = u.managerId === null ? undefined : index.numberOf.get(u.managerId);
    if (manager !== undefined) index.reports[manager].push(n);
    if (u.teamId !== null) push(index.byTeam, u.teamId, n);
    push(index.byRole, u.role, n);
  }
  INDEXES.set(snapshot, index);
  return index;
}

function push(map: Map<string, number[]>, key: string, n: number): void {
  const list = map.get(key);
  if (list) list.push(n);
  else map.set(key, [n]);
}

/**
 * The user and everyone below them in the manager_id chain, at any depth, inactive users
 * included (their records stay in the chain). A cycle in the data ends the walk where it comes
 * back, so the user is never their own report.
 */
export function subtreeOf(index: OrgIndex, n: number): number[] {
  const seen = new Uint8Array(index.ids.length);
  seen[n] = 1;
  const queue = [n];
  for (let i = 0; i < queue.length; i++) {
    for (const report of index.reports[queue[i]]) {
      if (seen[report]) continue;
      seen[report] = 1;
      queue.push(report);
    }
  }
  return queue;
}

/** The ids of these users, sorted and unique. */
export function idsOf(index: OrgIndex, numbers: readonly number[]): string[] {
  const sorted = Uint32Array.from(numbers).sort();
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(index.ids[sorted[i]]);
  return out;
}
