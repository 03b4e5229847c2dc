import { describe, expect, it } from 'vitest';
import { accessSql, objectTypeOf } from '../../src/query/access';
import { Params } from '../../src/query/params';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planGet, planList } from '../../src/query/plan';
import { CATALOG } from '../../src/resources/registry';
import type { ObjectGrant, ObjectType, UserGrants } from '../../src/sharing/types';

// The compiler's access hook: the caller's grants become one condition beside the tenant wall,
// with every id a bound parameter.
const ORG = '00000000-0000-4000-8000-000000000001';
const USER = '00000000-0000-4000-8000-0000000000a1';
const TEAM = '00000000-0000-4000-8000-0000000000b1';
const REPORT = '00000000-0000-4000-8000-0000000000a2';
const open: ObjectGrant = { all: 'edit', readOwners: [USER], editOwners: [USER], criteria: [], shares: { userId: USER, teamId: TEAM } };
const closed: ObjectGrant = {
  all: 'none',
  readOwners: [REPORT, USER],
  editOwners: [USER],
  criteria: [{ ruleId: 'r1', name: 'customers', access: 'read', where: { field: 'lifecycle_stage', operator: 'equals', value: 'customer' } }],
  shares: { userId: USER, teamId: TEAM },
};
const grants = (objects: Partial<Record<ObjectType, ObjectGrant>>): UserGrants => ({
  orgId: ORG,
  userId: USER,
  version: 1,
  fingerprint: 'f',
  objects: { contact: open, company: open, lead: open, deal: open, activity: open, ...objects },
});
const list = (g: UserGrants | undefined, resource = 'contacts', qs = '') =>
  planList({ catalog: CATALOG, resource: CATALOG[resource], req: parseQueryString(new URLSearchParams(qs)), orgId: ORG, access: g });

describe('the access hook', () => {
  it('names the shared object types and leaves the others alone', () => {
    expect(['contacts', 'companies', 'leads', 'deals', 'activities'].map((n) => objectTypeOf(CATALOG[n]))).toEqual([
      'contact',
      'company',
      'lead',
      'deal',
      'activity',
    ]);
    expect(objectTypeOf(CATALOG.users)).toBeUndefined();
    expect(accessSql(grants({ contact: closed }), CATALOG.users, new Params(ORG), CATALOG)).toBeNull();
  });

  it('adds nothing for no grants, an admin or a public default', () => {
    expect(list(undefined).statement).toBe(list(grants({})).statement);
    const readAll = { ...closed, all: 'read' as const };
    expect(accessSql(grants({ contact: readAll }), CATALOG.contacts, new Params(ORG), CATALOG, 'read')).toBeNull();
    expect(accessSql(grants({ contact: readAll }), CATALOG.contacts, new Params(ORG), CATALOG, 'edit')).not.toBeNull();
  });

  it('a private grant: owners, criteria and shares, ORed inside one parenthesis right after the tenant wall, ids bound', () => {
    const plan = list(grants({ contact: closed }));
    expect(plan.statement).toContain('c.org_id = $1 and (c.owner_id = any($2::uuid[]) or ((c.lifecycle_stage = $3');
    expect(plan.statement).toContain(`or c.id = any(array(select sh.record_id from record_shares sh where sh.org_id = $1 and sh.object_type = 'contact'`);
    expect(plan.values.slice(0, 3)).toEqual([ORG, [REPORT, USER], 'customer']);
    expect(plan.values).toContain(TEAM);
    for (const id of [USER, REPORT, TEAM]) expect(plan.statement).not.toContain(id);
    // Counts read the same condition.
    expect(plan.fromWhere).toContain('c.owner_id = any($2::uuid[])');
  });

  it('edit access reads the edit owners, edit criteria only and edit shares', () => {
    const p = new Params(ORG);
    const sql = accessSql(grants({ contact: closed }), CATALOG.contacts, p, CATALOG, 'edit') as string;
    expect(sql).not.toContain('lifecycle_stage');
    expect(sql).toContain(`sh.access = 'edit'`);
    expect(p.values[1]).toEqual([USER]);
  });

  it('a get of one record and embedded rows carry it too', () => {
    const get = planGet({
      catalog: CATALOG,
      resource: CATALOG.contacts,
      orgId: ORG,
      id: USER,
      req: { deleted: 'exclude' },
      access: grants({ contact: closed }),
    });
    expect(get.statement).toContain('c.owner_id = any(');
    const deals = list(grants({ contact: closed }), 'deals', 'select=id,contact(first_name)');
    expect(deals.statement).toMatch(/exists \(select 1 from contacts c where c\.id = rel0\.id and c\.org_id = \$1 and \(c\.owner_id = any/);
  });
});
