import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createOrg } from '../support/factories';
import { sql, withClient } from '../support/sql';

// field_values (migrations 0007, 0008) lists each org's distinct values of the columns the
// value walk reads: a value while a live row holds it, and never a value no row holds once its
// last row is deleted, renamed or soft-deleted. Concurrent writers and forgetters of a value
// must never leave it unlisted while a committed live row holds it (the walk would miss rows).
const listed = async (orgId: string, field: string) =>
  (await sql<{ value: string }>('select value from field_values where org_id = $1 and field = $2 order by value', [orgId, field])).map((r) => r.value);

const insertContact = (c: pg.Client, orgId: string, lastName: string) =>
  c
    .query<{ id: string }>(`insert into contacts (org_id, first_name, last_name) values ($1, 'Fv', $2) returning id`, [orgId, lastName])
    .then((r) => r.rows[0].id);

describe('field_values follows writes', () => {
  it('lists a value while a live row holds it and forgets it when none does', async () => {
    const org = await createOrg();
    // One statement writing a value twice (the trigger counts distinct values).
    const ids = (
      await sql<{ id: string }>(
        `insert into contacts (org_id, first_name, last_name) select $1, 'Fv', v from unnest($2::text[]) with ordinality u(v, i) order by i returning id`,
        [org.id, ['Qa', 'Qa', 'Qb']],
      )
    ).map((r) => r.id);
    expect(await listed(org.id, 'contacts.last_name')).toEqual(['Qa', 'Qb']);
    expect(await listed(org.id, 'contacts.first_name')).toEqual(['Fv']);

    await sql('delete from contacts where id = $1', [ids[0]]);
    expect(await listed(org.id, 'contacts.last_name'), 'one of two Qa deleted').toEqual(['Qa', 'Qb']);
    await sql(`update contacts set last_name = 'Qc' where id = $1`, [ids[1]]);
    expect(await listed(org.id, 'contacts.last_name'), 'the last Qa renamed').toEqual(['Qb', 'Qc']);
    await sql(`update contacts set phone = '+44 1' where id = $1`, [ids[1]]);
    expect(await listed(org.id, 'contacts.last_name'), 'another column updated').toEqual(['Qb', 'Qc']);
    await sql(`update contacts set deleted_at = now() where id = $1`, [ids[2]]);
    expect(await listed(org.id, 'contacts.last_name'), 'Qb soft-deleted').toEqual(['Qc']);
    await sql(`update contacts set deleted_at = null where id = $1`, [ids[2]]);
    expect(await listed(org.id, 'contacts.last_name'), 'Qb restored').toEqual(['Qb', 'Qc']);
    await sql(`update contacts set last_name = null where id = $1`, [ids[2]]);
    expect(await listed(org.id, 'contacts.last_name'), 'Qb set to null').toEqual(['Qc']);
    await sql('delete from contacts where org_id = $1', [org.id]);
    expect(await listed(org.id, 'contacts.last_name')).toEqual([]);
    expect(await listed(org.id, 'contacts.first_name')).toEqual([]);
  });

  it('does the same for leads and companies, and leaves other orgs alone', async () => {
    const [a, b] = [await createOrg(), await createOrg()];
    for (const org of [a, b]) {
      await sql(`insert into leads (org_id, last_name) values ($1, 'Lx'), ($1, 'Lx')`, [org.id]);
      await sql(`insert into companies (org_id, name, industry) values ($1, 'Co', 'Ix'), ($1, 'Co 2', 'Ix')`, [org.id]);
    }
    await sql('delete from leads where org_id = $1', [a.id]);
    await sql(`update companies set industry = 'Iy' where org_id = $1`, [a.id]);
    expect([await listed(a.id, 'leads.last_name'), await listed(a.id, 'companies.industry')]).toEqual([[], ['Iy']]);
    expect([await listed(b.id, 'leads.last_name'), await listed(b.id, 'companies.industry')]).toEqual([['Lx'], ['Ix']]);
  });

  it('keeps a value a writer holds when its last committed row goes meanwhile', async () => {
    const org = await createOrg();
    const [old] = await withClient((c) => Promise.all([insertContact(c, org.id, 'Qh')]));
    await withClient(async (writer) => {
      await writer.query('begin');
      await insertContact(writer, org.id, 'Qh'); // listed already: the writer holds it
      // The forgetter does not see the writer's row; it must skip the held value, not wait.
      await sql('delete from contacts where id = $1', [old]);
      await writer.query('commit');
    });
    expect(await listed(org.id, 'contacts.last_name')).toEqual(['Qh']);
  });

  it('lists a value again when a writer waited for its forgetter', async () => {
    const org = await createOrg();
    const [old] = await withClient((c) => Promise.all([insertContact(c, org.id, 'Qw')]));
    await withClient(async (forgetter) => {
      await forgetter.query('begin');
      await forgetter.query('delete from contacts where id = $1', [old]); // forgets Qw, uncommitted
      const writing = withClient((writer) => insertContact(writer, org.id, 'Qw'));
      const state = await Promise.race([writing.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
      expect(state, 'the writer waits for the forgetter').toBe('waiting');
      await forgetter.query('commit');
      await writing;
    });
    expect(await listed(org.id, 'contacts.last_name')).toEqual(['Qw']);
  });

  it('a repeatable read transaction forgets nothing (it cannot see a writer that committed after it began)', async () => {
    const org = await createOrg();
    const [old] = await withClient((c) => Promise.all([insertContact(c, org.id, 'Qr')]));
    await withClient(async (forgetter) => {
      await forgetter.query('begin isolation level repeatable read');
      await forgetter.query('select 1'); // its snapshot
      await withClient((writer) => insertContact(writer, org.id, 'Qr'));
      await forgetter.query('delete from contacts where id = $1', [old]);
      await forgetter.query('commit');
    });
    expect(await listed(org.id, 'contacts.last_name')).toEqual(['Qr']);
  });

  it('trigger functions run static SQL under generic plans (planned once per connection)', async () => {
    const fns = await sql<{ name: string; src: string; config: string[] | null }>(
      `select proname as name, prosrc as src, proconfig as config from pg_proc where proname like 'crm\\_sync\\_field\\_values\\_%' order by 1`,
    );
    expect(fns.map((f) => f.name)).toEqual(['crm_sync_field_values_companies', 'crm_sync_field_values_contacts', 'crm_sync_field_values_leads']);
    for (const f of fns) {
      expect(f.config, f.name).toContain('plan_cache_mode=force_generic_plan');
      expect(f.src, `${f.name}: no EXECUTE (dynamic SQL is planned on every call)`).not.toMatch(/\bEXECUTE\b/i);
    }
  });

  it('a sweep forgets values left without rows and keeps the rest', async () => {
    const org = await createOrg();
    await withClient((c) => insertContact(c, org.id, 'Qs'));
    await sql(`insert into field_values (org_id, field, value) values ($1, 'contacts.last_name', 'Qstale')`, [org.id]);
    const [{ n }] = await sql<{ n: number }>(`select crm_forget_field_values('contacts', 'last_name') as n`);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(await listed(org.id, 'contacts.last_name')).toEqual(['Qs']);
  });
});
