import { SELF } from 'cloudflare:test';
import { PostgrestClient } from '@supabase/postgrest-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContacts, createOrg, type TestOrg } from '../support/factories';
import { tokenFor, warmCaller } from '../support/http';
import { explain, withClient } from '../support/sql';

// @supabase/postgrest-js, unchanged, as the client of /rest/v1.
describe('/rest/v1 with postgrest-js', () => {
  let org: TestOrg;
  let db: PostgrestClient;
  let ids: string[];
  let token: string;

  beforeAll(async () => {
    org = await createOrg();
    ids = await createContacts(org.id, [
      { first_name: 'Anna', last_name: 'Berg', birthday: '1985-03-04', gender: 'female' },
      { first_name: 'Hannah', last_name: 'Smith', birthday: '1990-07-15', gender: 'female' },
      { first_name: 'John', last_name: 'Doe', birthday: null, gender: 'male' },
      { first_name: 'Daniel', last_name: 'Anderson', birthday: '1979-12-31', gender: 'male' },
    ]);
    await withClient(async (c) => {
      const co = (await c.query(`insert into companies (org_id, name, domain) values ($1, 'Acme GmbH', 'acme.example') returning id`, [org.id])).rows[0].id;
      await c.query(`update contacts set primary_company_id = $1 where id = $2`, [co, ids[0]]);
    });
    token = await tokenFor(org.users.admin);
    db = new PostgrestClient('http://localhost/rest/v1', {
      headers: { Authorization: `Bearer ${token}` },
      fetch: (input, init) => SELF.fetch(input as string, init as RequestInit),
    });
  });

  const names = (data: Array<{ first_name: string }> | null) => (data ?? []).map((r) => r.first_name);

  it('select with a relation, eq and order', async () => {
    const { data, error } = await db.from('contacts').select('id, first_name, company(name, domain)').eq('first_name', 'Anna');
    expect(error).toBeNull();
    expect(data).toEqual([{ id: ids[0], first_name: 'Anna', company: { name: 'Acme GmbH', domain: 'acme.example' } }]);
  });

  it('select with aliases', async () => {
    const { data, error } = await db.from('contacts').select('firstName:first_name, employer:company(label:name)').eq('first_name', 'Anna');
    expect(error).toBeNull();
    expect(data).toEqual([{ firstName: 'Anna', employer: { label: 'Acme GmbH' } }]);
  });

  it('neq, gt, lt, ilike, in, is, or, not', async () => {
    const q = () => db.from('contacts').select('first_name').order('first_name', { ascending: true });
    expect(names((await q().neq('first_name', 'Anna')).data)).toEqual(['Daniel', 'Hannah', 'John']);
    expect(names((await q().gt('birthday', '1985-03-04')).data)).toEqual(['Hannah']);
    expect(names((await q().lt('birthday', '1985-03-04')).data)).toEqual(['Daniel']);
    expect(names((await q().ilike('last_name', '%ER%')).data)).toEqual(['Anna', 'Daniel']);
    expect(names((await q().in('first_name', ['John', 'Anna', 'Nobody, Really'])).data)).toEqual(['Anna', 'John']);
    expect(names((await q().is('birthday', null)).data)).toEqual(['John']);
    expect(names((await q().or('first_name.eq.John,last_name.eq.Smith')).data)).toEqual(['Hannah', 'John']);
    expect(names((await q().not('gender', 'eq', 'female')).data)).toEqual(['Daniel', 'John']);
    expect(names((await q().ilikeAnyOf('last_name', ['%ER%', 'doe'])).data)).toEqual(['Anna', 'Daniel', 'John']);
    expect(names((await q().ilikeAllOf('last_name', ['%er%', '%son'])).data)).toEqual(['Daniel']);
  });

  it('order descending and range', async () => {
    const { data, error } = await db.from('contacts').select('first_name').order('first_name', { ascending: false }).range(1, 2);
    expect(error).toBeNull();
    expect(names(data)).toEqual(['Hannah', 'Daniel']);
  });

  it("count: 'exact' and 'planned'", async () => {
    const exact = await db.from('contacts').select('id', { count: 'exact' }).limit(1);
    expect(exact.error).toBeNull();
    expect(exact.count).toBe(4);
    expect(exact.data).toHaveLength(1);
    const planned = await db.from('contacts').select('id', { count: 'planned' }).limit(1);
    expect(planned.error).toBeNull();
    // The planner's estimate of the org's live rows (EXPLAIN of the same filter, asked here
    // directly), whatever it is: never a count.
    const guess = await explain('select 1 from contacts c where c.org_id = $1 and c.deleted_at is null', [org.id]);
    expect(planned.count).toBe((guess.plan as { 'Plan Rows': number })['Plan Rows']);
    const head = await db.from('contacts').select('*', { count: 'exact', head: true });
    expect(head.count).toBe(4);
    // A counting HEAD reads no rows (one statement: the count) and still says which would come.
    const ask = (method: string) =>
      SELF.fetch('http://localhost/rest/v1/contacts?select=id&offset=1&limit=2', {
        method,
        headers: { Authorization: `Bearer ${token}`, Prefer: 'count=exact' },
      });
    await warmCaller(token); // the caller's lookup is a statement of its own: out of the counts
    const [got, headed] = [await ask('GET'), await ask('HEAD')];
    expect(headed.headers.get('content-range')).toBe('1-2/4');
    expect(headed.headers.get('content-range')).toBe(got.headers.get('content-range'));
    // Each with the sharing version check beside it.
    expect(got.headers.get('server-timing')).toMatch(/desc="3 queries/);
    expect(headed.headers.get('server-timing')).toMatch(/desc="2 queries/);
  });

  it('single() returns one object, or an error for several', async () => {
    const one = await db.from('contacts').select('first_name').eq('last_name', 'Doe').single();
    expect(one.data).toEqual({ first_name: 'John' });
    const many = await db.from('contacts').select('first_name').single();
    expect(many.error).not.toBeNull();
    // limit(1).single(), the usual "first match" idiom: the limit applies before the check.
    const first = await db.from('contacts').select('first_name').order('first_name', { ascending: true }).limit(1).single();
    expect(first.error).toBeNull();
    expect(first.data).toEqual({ first_name: 'Anna' });
  });

  it('csv() answers CSV; an Accept it cannot serve is a 406', async () => {
    const { data, error } = await db.from('contacts').select('first_name, company(name)').order('first_name', { ascending: true }).limit(2).csv();
    expect(error).toBeNull();
    expect(data).toBe('first_name,company\r\nAnna,"{""name"":""Acme GmbH""}"\r\nDaniel,\r\n');
    const xml = await SELF.fetch('http://localhost/rest/v1/contacts?select=id', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/xml' } });
    expect(xml.status).toBe(406);
    expect((await xml.json<{ code: string }>()).code).toBe('not_acceptable');
  });

  it('errors come back as errors, with a message', async () => {
    const { data, error } = await db.from('contacts').select('first_name').eq('password', 'x');
    expect(data).toBeNull();
    expect(error?.message).toMatch(/not a field/);
    const unknown = await db.from('secrets').select('*');
    expect(unknown.error).not.toBeNull();
    // Reads only: a write is a 405 (the path exists, the method does not) that still reads as a PostgREST error.
    const insert = await db.from('contacts').insert({ first_name: 'X' });
    expect(insert.status).toBe(405);
    expect(insert.error?.message).toMatch(/POST is not allowed on \/rest\/v1\/contacts; it takes GET, HEAD, OPTIONS/);
  });

  it('answers the raw wire format: bare array, Content-Range, Preference-Applied, Range header', async () => {
    const token = await tokenFor(org.users.admin);
    const res = await SELF.fetch('http://localhost/rest/v1/contacts?select=first_name&order=first_name.asc', {
      headers: { Authorization: `Bearer ${token}`, Range: '0-1', 'Range-Unit': 'items', Prefer: 'count=exact' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('0-1/4');
    expect(res.headers.get('preference-applied')).toBe('count=exact');
    expect(await res.json()).toEqual([{ first_name: 'Anna' }, { first_name: 'Daniel' }]);
  });
});
