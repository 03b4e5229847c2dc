// CRM staff per org, built in TypeScript (a few thousand rows at most): one admin,
// managers reporting to the admin, members reporting to managers, every user in a team.
// Each org has the same fixed logins (admin@, manager@, manager2@, member@, member2@
// at <slug>.test) so tests, docs and `npm run token` can rely on them.
import { ANCHOR, type OrgPlan, type SeedPlan } from './plan';
import { prng } from './sql-rand';
import { asciiSlug, FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, SURNAMES } from './vocab-people';

export type Role = 'admin' | 'manager' | 'member';

export interface UserRow {
  no: number;
  org: number;
  email: string;
  name: string;
  role: Role;
  manager: number | null;
  team: number;
  active: boolean;
  created: string;
}

/** Fixed logins by position in the org's user list; `m` is the number of managers. */
const FIXED = (m: number) => [
  { idx: 0, local: 'admin', label: 'Admin' },
  { idx: 1, local: 'manager', label: 'Manager' },
  { idx: 2, local: 'manager2', label: 'Manager Two' },
  { idx: m + 1, local: 'member', label: 'Member' },
  { idx: m + 2, local: 'member2', label: 'Member Two' },
];

/** 0-based index of the manager a member (index ≥ m + 1) reports to. */
export function managerOf(idx: number, m: number): number {
  return 1 + ((idx - m - 1) % m);
}

function roleOf(idx: number, m: number): Role {
  return idx === 0 ? 'admin' : idx <= m ? 'manager' : 'member';
}

/** Team index: admin in team 0, managers round-robin, members in their manager's team. */
function teamOf(idx: number, m: number, teams: number): number {
  if (idx === 0) return 0;
  const manager = idx <= m ? idx : managerOf(idx, m);
  return (manager - 1) % teams;
}

function orgUsers(org: OrgPlan, rand: () => number): UserRow[] {
  const m = org.managers;
  const fixed = new Map(FIXED(m).map((f) => [f.idx, f]));
  const who = org.no === 1 ? 'Demo' : org.name;
  const taken = new Set<string>();
  const anchor = Date.parse(ANCHOR);
  return Array.from({ length: org.users.count }, (_, idx): UserRow => {
    const f = fixed.get(idx);
    let email: string;
    let name: string;
    if (f) {
      email = `${f.local}@${org.slug}.test`;
      name = `${who} ${f.label}`;
    } else {
      const firsts = rand() < 0.5 ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES;
      const first = firsts[Math.floor(rand() * firsts.length)];
      const last = SURNAMES[Math.floor(rand() * SURNAMES.length)];
      name = `${first} ${last}`;
      const base = `${asciiSlug(first)}.${asciiSlug(last)}`;
      let n = 1;
      while (taken.has(n === 1 ? base : `${base}${n}`)) n++;
      email = `${n === 1 ? base : `${base}${n}`}@${org.slug}.test`;
    }
    taken.add(email.split('@')[0]);
    const role = roleOf(idx, m);
    const managerIdx = role === 'admin' ? null : role === 'manager' ? 0 : managerOf(idx, m);
    return {
      no: org.users.start + idx,
      org: org.no,
      email,
      name,
      role,
      manager: managerIdx === null ? null : org.users.start + managerIdx,
      team: org.teams.start + teamOf(idx, m, org.teams.count),
      active: f !== undefined || rand() > 0.04,
      created: new Date(anchor - 1100 * 86400_000 + idx * 7200_000).toISOString(),
    };
  });
}

export function buildUsers(plan: SeedPlan): UserRow[] {
  const rand = prng(plan.params.seed, 'users');
  return plan.orgs.flatMap((org) => orgUsers(org, rand));
}
