import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type TestOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';

// Records without sharing of their own take it from the records they belong to
// (src/query/access.ts DERIVED): a contact's loyalty entries follow the contact; an address
// follows the contacts and companies that use it (any one of them), and one nobody uses yet is
// open to the org. Addressed on their own (GET by id, PATCH, DELETE) and as references of a
// write, they are what their parents allow: nothing of a hidden contact leaks through them.
describe('sharing of derived records: addresses and loyalty entries', () => {
  let org: TestOrg;
  let memberToken: string;
  let adminToken: string;
  const ids = {} as Record<
    | 'hiddenContact'
    | 'ownContact'
    | 'sharedContact'
    | 'hiddenAddress'
    | 'ownAddress'
    | 'freeAddress'
    | 'companyAddress'
    | 'hiddenLoyalty'
    | 'ownLoyalty'
    | 'sharedLoyalty',
    string
  >;

  beforeAll(async () => {
    org = await createOrg();
    const { admin, member } = org.users;
    memberToken = await tokenFor(member);
    adminToken = await tokenFor(admin);
    const address = async (city: string) => (await sql(`insert into addresses (org_id, city) values ($1, $2) returning id`, [org.id, city]))[0].id as string;
    ids.hiddenAddress = await address('Hidden');
    ids.ownAddress = await address('Own');
    ids.freeAddress = await address('Free');
    ids.companyAddress = await address('Company');
    const contact = async (name: string, owner: string, addressId: string | null) =>
      (await sql(`insert into contacts (org_id, first_name, owner_id, address_id) values ($1, $2, $3, $4) returning id`, [org.id, name, owner, addressId]))[0]
        .id as string;
    ids.hiddenContact = await contact('Hidden', admin.id, ids.hiddenAddress);
    ids.ownContact = await contact('Own', member.id, ids.ownAddress);
    ids.sharedContact = await contact('Shared', admin.id, null);
    // The company address is used by a hidden contact too, and by a company the member reads.
    await contact('Hidden too', admin.id, ids.companyAddress);
    await sql(`insert into companies (org_id, name, owner_id, address_id) values ($1, 'Acme', $2, $3)`, [org.id, admin.id, ids.companyAddress]);
    const loyalty = async (contactId: string) =>
      (await sql(`insert into customer_relationships (org_id, contact_id, points) values ($1, $2, 10) returning id`, [org.id, contactId]))[0].id as string;
    ids.hiddenLoyalty = await loyalty(ids.hiddenContact);
    ids.ownLoyalty = await loyalty(ids.ownContact);
    ids.sharedLoyalty = await loyalty(ids.sharedContact);
    await sql(
      `insert into sharing_settings (org_id, object_type, default_access, grant_hierarchy) values ($1, 'contact', 'private', false), ($1, 'company', 'public_read', false)`,
      [org.id],
    );
    await sql(`insert into record_shares (org_id, object_type, record_id, grantee_type, grantee_id, access) values ($1, 'contact', $2, 'user', $3, 'read')`, [
      org.id,
      ids.sharedContact,
      member.id,
    ]);
    await sql(
      `insert into org_generations (org_id, sharing_version) values ($1, 1) on conflict (org_id) do update set sharing_version = org_generations.sharing_version + 1`,
      [org.id],
    );
  });

  it('an address is read through a contact or company the caller reads, or when nobody uses it', async () => {
    const status = async (id: string, token: string) => (await get(`/v1/addresses/${id}`, { token })).status;
    expect(await status(ids.hiddenAddress, memberToken)).toBe(404);
    expect(await status(ids.ownAddress, memberToken)).toBe(200);
    expect(await status(ids.freeAddress, memberToken)).toBe(200);
    expect(await status(ids.companyAddress, memberToken)).toBe(200);
    for (const id of [ids.hiddenAddress, ids.ownAddress, ids.freeAddress, ids.companyAddress]) expect(await status(id, adminToken)).toBe(200);
  });

  it('an address is changed only through a contact or company the caller may edit', async () => {
    const patch = async (id: string) => (await send('PATCH', `/v1/addresses/${id}`, { token: memberToken, body: { city: 'Changed' } })).status;
    expect(await patch(ids.hiddenAddress)).toBe(404);
    // Readable through a public-read company, editable through nothing the member may edit.
    expect(await patch(ids.companyAddress)).toBe(403);
    expect(await patch(ids.ownAddress)).toBe(200);
    expect(await patch(ids.freeAddress)).toBe(200);
    const [{ city }] = await sql(`select city from addresses where id = $1`, [ids.hiddenAddress]);
    expect(city).toBe('Hidden');
  });

  it('a loyalty entry is read with its contact and changed only with edit access to it', async () => {
    const read = async (id: string) => (await get(`/v1/customer_relationships/${id}`, { token: memberToken })).status;
    expect(await read(ids.hiddenLoyalty)).toBe(404);
    expect(await read(ids.ownLoyalty)).toBe(200);
    expect(await read(ids.sharedLoyalty)).toBe(200);
    const patch = async (id: string) => (await send('PATCH', `/v1/customer_relationships/${id}`, { token: memberToken, body: { points: 99 } })).status;
    expect(await patch(ids.hiddenLoyalty)).toBe(404);
    expect(await patch(ids.sharedLoyalty)).toBe(403);
    expect(await patch(ids.ownLoyalty)).toBe(200);
    const del = await send('DELETE', `/v1/customer_relationships/${ids.hiddenLoyalty}`, { token: memberToken });
    expect(del.status).toBe(404);
    const points = await sql(`select points from customer_relationships where id = any($1::uuid[]) order by points`, [[ids.hiddenLoyalty, ids.sharedLoyalty]]);
    expect(points.map((r) => r.points)).toEqual([10, 10]);
  });

  it('a write may reference only records the caller reads (a loyalty entry: a contact they may edit)', async () => {
    const createLoyalty = (contactId: string) => send('POST', '/v1/customer_relationships', { token: memberToken, body: { contact_id: contactId, points: 5 } });
    for (const hidden of [ids.hiddenContact, ids.sharedContact]) {
      const refused = await createLoyalty(hidden);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([{ path: 'contact_id', message: 'no such record in contacts' }]);
    }
    expect((await createLoyalty(ids.ownContact)).status).toBe(201);

    // Linking one's contact to the address of a hidden one would confirm it and expose it.
    const link = (addressId: string) => send('PATCH', `/v1/contacts/${ids.ownContact}`, { token: memberToken, body: { address_id: addressId } });
    const refused = await link(ids.hiddenAddress);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: 'address_id', message: 'no such record in addresses' }]);
    expect((await link(ids.freeAddress)).status).toBe(200);

    // The admin references anything of the org.
    expect((await send('POST', '/v1/customer_relationships', { token: adminToken, body: { contact_id: ids.hiddenContact, points: 7 } })).status).toBe(201);
  });

  it('embedded in a readable contact, its address and loyalty entries come along without a second condition', async () => {
    const res = await get(`/v1/contacts/${ids.ownContact}?select=id,address(city),relationships(points)`, { token: memberToken });
    expect(res.status).toBe(200);
    expect(res.body.data.relationships.length).toBeGreaterThan(0);
  });
});
