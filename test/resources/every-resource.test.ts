import { beforeAll, describe, expect, it } from 'vitest';
import { FIELD_VALUE_COLUMNS } from '../../src/db/schema/field-values';
import { RESOURCES } from '../../src/resources/registry';
import { type CrmFixture, createCrmFixture } from '../support/crm-fixture';
import { createOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';

// Route tests for each resource through the same compiler: list, get, every sortable field in
// both directions, every relation embedded, tag filters, and the tenant wall.
const own: Record<string, keyof CrmFixture['ids'] | null> = {
  contacts: 'contact',
  companies: 'company',
  leads: 'lead',
  deals: 'deal',
  activities: 'activity',
  pipelines: 'pipeline',
  users: null,
  teams: 'team',
  tags: 'tag',
};

describe('every /v1 resource', () => {
  let fx: CrmFixture;
  let token: string;
  let outsider: string;
  beforeAll(async () => {
    fx = await createCrmFixture();
    token = await tokenFor(fx.org.users.admin);
    outsider = await tokenFor((await createOrg()).users.admin);
  });

  for (const [name, resource] of Object.entries(RESOURCES)) {
    /** The fixture's record of this resource (for users: the org's admin). */
    const fixtureId = () => {
      const key = own[name];
      return key ? fx.ids[key] : fx.org.users.admin.id;
    };
    describe(name, () => {
      it('lists its rows and gets one by id', async () => {
        const res = await get(`/v1/${name}?limit=10`, { token });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const id = fixtureId();
        expect(res.body.data.map((r: { id: string }) => r.id)).toContain(id);
        const one = await get(`/v1/${name}/${id}`, { token });
        expect(one.status).toBe(200);
        expect(one.body.data.id).toBe(id);
        expect((await get(`/v1/${name}/${id}`, { token: outsider })).status).toBe(404);
        expect((await get(`/v1/${name}?limit=10`, { token: outsider })).body.data.map((r: { id: string }) => r.id)).not.toContain(id);
      });

      it('a listed row is the same JSON as the record by id: every field and relation, same types', async () => {
        // Two compilers of the same projection (planList's page statement, getRow's): every
        // field and embedded relation must come back with the same values and JSON types.
        const id = fixtureId();
        const fields = Object.entries(resource.fields)
          .filter(([, f]) => !f.internal && f.type !== 'tsvector')
          .map(([k]) => k);
        const select = [...fields, ...Object.keys(resource.relations).map((r) => `${r}(*)`)].join(',');
        const listed = await get(`/v1/${name}?id=eq.${id}&select=${select}`, { token });
        const one = await get(`/v1/${name}/${id}?select=${select}`, { token });
        expect(listed.status, JSON.stringify(listed.body)).toBe(200);
        expect(one.status, JSON.stringify(one.body)).toBe(200);
        expect(listed.body.data).toEqual([one.body.data]);
        expect(Object.keys(listed.body.data[0])).toEqual(Object.keys(one.body.data));
      });

      it('orders by every sortable field, both ways', async () => {
        // Every listable resource has sortable fields (its default order is one: resources.unit.test.ts).
        const sortable = Object.entries(resource.fields)
          .filter(([, f]) => f.sortable)
          .map(([field]) => field);
        expect(sortable.length, name).toBeGreaterThan(0);
        for (const field of sortable) {
          for (const dir of ['asc', 'desc']) {
            const res = await get(`/v1/${name}?order=${field}.${dir}&limit=5`, { token });
            expect(res.status, `${name} ${field}.${dir}: ${JSON.stringify(res.body)}`).toBe(200);
            expect(
              res.body.data.map((r: { id: string }) => r.id),
              `${name} ${field}.${dir}`,
            ).toContain(fixtureId());
          }
        }
      });

      const rels = Object.keys(resource.relations);
      if (rels.length) {
        it('embeds every relation', async () => {
          const res = await get(`/v1/${name}?id=eq.${fixtureId()}&select=id,${rels.map((r) => `${r}(*)`).join(',')}`, { token });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body.data).toHaveLength(1);
          for (const r of rels) expect(res.body.data[0], `${name}.${r}`).toHaveProperty(r);
        });
      }

      const repeating = Object.entries(resource.fields).filter(([, f]) => f.repeats);
      if (repeating.length) {
        it('finds its record by a substring of a repeating field under that order (value walk)', async () => {
          const id = fixtureId();
          for (const [field, def] of repeating) {
            const [index] = await sql<{ def: string }>('select indexdef as def from pg_indexes where tablename = $1 and indexdef like $2', [
              resource.table,
              `%(org_id, ${def.column}, id)%`,
            ]);
            expect(index?.def, `${name}.${field}: the walk reads (org_id, ${def.column}, id)`).toBeDefined();
            // Partial on live rows exactly where the table soft-deletes (the walk reads live rows only).
            expect(index.def.endsWith('WHERE (deleted_at IS NULL)'), index.def).toBe(resource.softDelete);
            // Its distinct live values are kept in field_values by insert, update and delete
            // triggers (migrations 0007, 0008; behaviour in test/db/field-values.test.ts).
            const triggers = await sql<{ source: string }>(
              `select p.prosrc as source from pg_trigger t join pg_proc p on p.oid = t.tgfoid where t.tgrelid = $1::regclass and p.proname = $2 and t.tgtype & (4 | 8 | 16) <> 0`,
              [resource.table, `crm_sync_field_values_${resource.table}`],
            );
            expect(triggers.length, `${name}: insert, update and delete triggers keep field_values`).toBe(3);
            for (const t of triggers) expect(t.source).toContain(`'${resource.table}.${def.column}'`);
            expect(FIELD_VALUE_COLUMNS[resource.table]).toContain(def.column);
            const value: string = (await get(`/v1/${name}/${id}?select=${field}`, { token })).body.data[field];
            for (const dir of ['asc', 'desc']) {
              const res = await get(`/v1/${name}?${field}=ilike.*${encodeURIComponent(value.slice(1, 4))}*&order=${field}.${dir}&select=id&limit=1000`, {
                token,
              });
              expect(res.status, JSON.stringify(res.body)).toBe(200);
              expect(res.body.data.map((r: { id: string }) => r.id)).toContain(id);
            }
          }
        });
      }

      if (resource.tagLinks) {
        it('filters by tag', async () => {
          const res = await get(`/v1/${name}?tags=cs.{fixture}`, { token });
          expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([fixtureId()]);
        });
      }
    });
  }

  it('keeps distinct values exactly for the repeating fields', () => {
    const repeating = Object.values(RESOURCES).flatMap((r) =>
      Object.values(r.fields)
        .filter((f) => f.repeats)
        .map((f) => `${r.table}.${f.column}`),
    );
    const kept = Object.entries(FIELD_VALUE_COLUMNS).flatMap(([t, cols]) => cols.map((c) => `${t}.${c}`));
    expect(kept.sort()).toEqual(repeating.sort());
  });

  it('embeds the linked records of a deal', async () => {
    const res = await get(
      `/v1/deals/${fx.ids.deal}?select=id,name,value,stage(name,probability),pipeline(name),contact(first_name),company(name),owner(email),tags(name)`,
      { token },
    );
    expect(res.body.data).toEqual({
      id: fx.ids.deal,
      name: 'Fixture renewal',
      value: '1234.50',
      stage: { name: 'Qualify', probability: 20 },
      pipeline: { name: 'Sales' },
      contact: { first_name: 'Fixture' },
      company: { name: 'Fixture Corp' },
      owner: { email: `member@${fx.org.slug}.test` },
      tags: [{ name: 'fixture' }],
    });
  });

  it('embeds pipeline stages in position order', async () => {
    const res = await get(`/v1/pipelines/${fx.ids.pipeline}?select=name,stages(name,position,is_won)`, { token });
    expect(res.body.data).toEqual({
      name: 'Sales',
      stages: [
        { name: 'Qualify', position: 0, is_won: false },
        { name: 'Won', position: 1, is_won: true },
      ],
    });
  });

  // Each table's org-tagged tsvector (migration 0005) is its own generated column: prove each
  // one answers the tagged query of its own org, by q= full text, by prefix and by filter.
  const fullText: Record<string, keyof CrmFixture['ids']> = { contacts: 'contact', companies: 'company', leads: 'lead', deals: 'deal', activities: 'activity' };
  for (const [name, key] of Object.entries(fullText)) {
    it(`${name}: full-text search, prefix and fts filter find the fixture in its org only`, async () => {
      for (const qs of ['q=fixture&search_mode=fts', 'q=fi', 'search=fts.fixture', 'search=plfts.FIXTURE']) {
        const res = await get(`/v1/${name}?${qs}&select=id`, { token });
        expect(res.status, `${name}?${qs}`).toBe(200);
        expect(
          res.body.data.map((r: { id: string }) => r.id),
          `${name}?${qs}`,
        ).toContain(fx.ids[key]);
        const theirs = await get(`/v1/${name}?${qs}&select=id`, { token: outsider });
        expect(theirs.body.data, `${name}?${qs} as another org`).toEqual([]);
      }
    });
  }

  it('searches activities by full text (no trigram fields there)', async () => {
    const res = await get('/v1/activities?q=fixture', { token });
    expect(res.status).toBe(200);
    expect(res.body.meta.searchMode.mode).toBe('fts');
    expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([fx.ids.activity]);
  });
});
