import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTACT_STATUSES } from '../../src/core/enums';
import { RESOURCES } from '../../src/resources/registry';
import { RESOURCE_SCHEMAS } from '../../src/resources/schema';
import { type CrmFixture, createCrmFixture } from '../support/crm-fixture';
import { get, tokenFor } from '../support/http';

// /openapi.json documents every field of every resource, and what it documents is what the
// routes answer: real responses parse with the same schemas and carry no undocumented key.
/** The parts of an OpenAPI 3.1 document this file reads (a missing part reads as undefined and fails the assertion). */
interface Schema {
  $ref: string;
  type: string | string[];
  format?: string;
  description?: string;
  enum: unknown[];
  required?: string[];
  properties: Record<string, Schema>;
  items: Schema;
  anyOf: Schema[];
}
interface Operation {
  parameters: Array<{ name: string; in: string; schema: Schema }>;
  responses: Record<string, { content: Record<string, { schema: Schema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let doc: Doc;
const component = (ref: string) => {
  expect(ref, 'a $ref to a component').toMatch(/^#\/components\/schemas\//);
  const schema = doc.components.schemas[ref.slice('#/components/schemas/'.length)];
  expect(schema, ref).toBeDefined();
  return schema;
};
const json200 = (path: string, method: string) => doc.paths[path][method].responses['200'].content['application/json'].schema;
const rowProperties = (name: string) => component(component(json200(`/v1/${name}`, 'get').$ref).properties.data.items.$ref).properties;
const selectable = (name: string) => Object.entries(RESOURCES[name].fields).filter(([, f]) => !f.internal);

beforeAll(async () => {
  const res = await SELF.fetch('http://localhost/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});

describe('/openapi.json: a row schema per resource', () => {
  for (const [name, resource] of Object.entries(RESOURCES)) {
    it(`${name}: list, query and get answer its row schema, which names every selectable field and relation`, () => {
      const page = component(json200(`/v1/${name}`, 'get').$ref);
      expect(json200(`/v1/${name}/query`, 'post').$ref).toBe(json200(`/v1/${name}`, 'get').$ref);
      expect(page.required).toEqual(['data', 'page', 'meta']);
      const rowRef = page.properties.data.items.$ref;
      expect(json200(`/v1/${name}/{id}`, 'get').properties.data.$ref).toBe(rowRef);
      const row = component(rowRef);
      expect(row.type).toBe('object');
      const fields = selectable(name).map(([k]) => k);
      // Columns, then computed counts (contacts' deal_count, activity_count), then relations.
      expect(Object.keys(row.properties)).toEqual([...fields, ...Object.keys(resource.computed ?? {}), ...Object.keys(resource.relations)]);
      for (const [k, f] of Object.entries(resource.fields)) if (f.internal) expect(row.properties, k).not.toHaveProperty(k);
      // `select` narrows the projection: no property may be claimed always present.
      expect(row.required).toBeUndefined();
    });
  }

  it('types each field as the API renders it', () => {
    const s = doc.components.schemas;
    expect(s.Contact.properties.birthday).toMatchObject({ type: ['string', 'null'], format: 'date' });
    expect(s.Contact.properties.status).toMatchObject({ type: 'string', enum: [...CONTACT_STATUSES] });
    expect(s.Contact.properties.gender.enum).toContain(null);
    expect(s.Contact.properties.id).toMatchObject({ type: 'string', format: 'uuid' });
    expect(s.Contact.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(s.Deal.properties.value).toMatchObject({ type: 'string', format: 'decimal' });
    expect(s.Deal.properties.probability.type).toBe('integer');
    expect(s.Deal.properties.closed_at.type).toEqual(['string', 'null']);
    expect(s.Company.properties.annual_revenue.type).toEqual(['string', 'null']);
    expect(s.User.properties.is_active.type).toBe('boolean');
    expect(s.Lead.properties.score.type).toBe('integer');
    expect(s.Activity.properties.body.description).toMatch(/only when named in `select`/i);
    expect(s.Activity.properties.subject.description).toMatch(/default projection/i);
    expect(s.Contact.properties.deal_count).toMatchObject({ type: 'integer' });
    expect(s.Contact.properties.activity_count.description).toMatch(/only when named in `select`.*not filterable or sortable/i);
  });

  it('types relations: to-one is the target or null, to-many an array, embeds carry columns only', () => {
    const s = doc.components.schemas;
    expect(s.Contact.properties.company.anyOf).toEqual([{ $ref: '#/components/schemas/EmbeddedCompany' }, { type: 'null' }]);
    expect(s.Contact.properties.tags).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/EmbeddedTag' } });
    expect(s.Pipeline.properties.stages.items.$ref).toBe('#/components/schemas/EmbeddedStage');
    expect(s.EmbeddedStage.properties.position.type).toBe('integer');
    expect(s.EmbeddedAddress.properties.city.type).toEqual(['string', 'null']);
    // The shared component stays an object: nullability belongs to the relation, not the target.
    expect(s.EmbeddedCompany.type).toBe('object');
    expect(Object.keys(s.EmbeddedCompany.properties)).toEqual(selectable('companies').map(([k]) => k));
  });

  it('types the envelope: page, count and meta', () => {
    const s = doc.components.schemas;
    expect(s.ResponseMeta.required).toEqual(['requestId', 'tier', 'stale', 'ageMs', 'queryMs', 'totalMs', 'queries']);
    expect(s.ResponseMeta.properties.tier.enum).toContain('db');
    expect(s.ResponseMeta.properties.searchMode.properties.mode.enum).toEqual(['fts', 'trigram', 'fuzzy', 'prefix']);
    expect(s.PageInfo.properties.nextCursor.type).toEqual(['string', 'null']);
    expect(s.CountInfo.properties.method.enum).toEqual(['exact', 'planned', 'estimated']);
  });

  it('/rest/v1/{table}: 200 and 206 are rows of the named table, as one object or CSV too', () => {
    const responses = doc.paths['/rest/v1/{table}'].get.responses;
    const table = component('#/components/schemas/TableRow');
    expect(table.anyOf.map((r) => r.$ref).sort()).toEqual(
      Object.keys(RESOURCES)
        .map((n) => json200(`/v1/${n}`, 'get').$ref)
        .map((p) => component(p).properties.data.items.$ref)
        .sort(),
    );
    for (const status of ['200', '206']) {
      expect(responses[status].content['application/json'].schema).toEqual({ type: 'array', items: { $ref: '#/components/schemas/TableRow' } });
      expect(responses[status].content['text/csv'].schema.type).toBe('string');
    }
    expect(responses['200'].content['application/vnd.pgrst.object+json'].schema).toEqual({ $ref: '#/components/schemas/TableRow' });
    const param = doc.paths['/rest/v1/{table}'].get.parameters.find((p) => p.name === 'table');
    expect(param?.schema.enum).toEqual(Object.keys(RESOURCES));
  });
});

describe('the documented schemas are true of real responses', () => {
  let fx: CrmFixture;
  let token: string;
  beforeAll(async () => {
    fx = await createCrmFixture();
    token = await tokenFor(fx.org.users.admin);
  });

  for (const name of Object.keys(RESOURCES)) {
    it(`${name}: a default list is exactly the default projection, and every field with every relation parses`, async () => {
      const { page } = RESOURCE_SCHEMAS[name];
      const props = rowProperties(name);
      const defaults = Object.keys(props).filter((k) => /default projection/.test(props[k].description ?? ''));

      const plain = await get(`/v1/${name}?limit=5`, { token });
      expect(plain.status, JSON.stringify(plain.body)).toBe(200);
      expect(plain.body.data.length).toBeGreaterThan(0);
      expect(page.safeParse(plain.body).error).toBeUndefined();
      for (const row of plain.body.data) expect(Object.keys(row)).toEqual(defaults);

      const select = [...selectable(name).map(([k]) => k), ...Object.keys(RESOURCES[name].relations).map((r) => `${r}(*)`)].join(',');
      const full = await get(`/v1/${name}?limit=5&select=${select}&count=exact`, { token });
      expect(full.status, JSON.stringify(full.body)).toBe(200);
      expect(page.safeParse(full.body).error).toBeUndefined();
      for (const row of full.body.data) for (const k of Object.keys(row)) expect(props, k).toHaveProperty(k);

      const id = plain.body.data[0].id;
      const one = await get(`/v1/${name}/${id}?select=${select}`, { token });
      expect(RESOURCE_SCHEMAS[name].record.safeParse(one.body).error).toBeUndefined();

      const rest = await get(`/rest/v1/${name}?select=${select}`, { token });
      expect(rest.status).toBe(200);
      expect(RESOURCE_SCHEMAS[name].row.array().safeParse(rest.body).error).toBeUndefined();
    });
  }

  it('a search reports its mode in meta as documented', async () => {
    const res = await get('/v1/contacts?q=Fixture', { token });
    expect(res.status).toBe(200);
    expect(res.body.meta.searchMode).toBeDefined();
    expect(RESOURCE_SCHEMAS.contacts.page.safeParse(res.body).error).toBeUndefined();
  });
});
