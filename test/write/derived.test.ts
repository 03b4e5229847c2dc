import { beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http';
import { sql } from '../support/sql';
import { send } from '../support/write';
import { resourceNamed, type WriteOrg, writeOrg } from '../support/write-fixture';

// What Postgres derives from a written row must follow writes through the API at once: the
// `search` tsvector and `search_text` (generated columns) that q= reads, and the field_values
// lists (statement triggers, migrations 0007/0008) that the value walk reads.

/** A word no other row of the test database holds: letters only, so every search mode takes it. */
const word = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => String.fromCharCode(97 + (b % 26)))
    .join('')
    .replace(/^./, (c) => c.toUpperCase());

/** Each searchable resource with the text field a search finds it by, and whether trigram search serves it. */
const SEARCHED = [
  { resource: 'contacts', field: 'last_name', trigram: true },
  { resource: 'companies', field: 'name', trigram: true },
  { resource: 'leads', field: 'company_name', trigram: true },
  { resource: 'deals', field: 'name', trigram: true },
  { resource: 'activities', field: 'subject', trigram: false },
] as const;

/** The columns field_values lists, by resource (migration 0007). */
const LISTED: Record<string, string[]> = { contacts: ['first_name', 'last_name'], leads: ['last_name'], companies: ['industry'] };

const listed = async (orgId: string, field: string) =>
  (await sql<{ value: string }>('select value from field_values where org_id = $1 and field = $2 order by value', [orgId, field])).map((r) => r.value);

describe.each(SEARCHED)('$resource: search after writes', ({ resource, field, trigram }) => {
  let w: WriteOrg;
  beforeAll(async () => {
    w = await writeOrg();
  });
  const found = async (term: string, mode: 'fts' | 'trigram', extra = '') => {
    const res = await get(`/v1/${resource}?q=${encodeURIComponent(term)}&search_mode=${mode}${extra}`, { token: w.tokens.admin });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body.meta.searchMode.mode).toBe(mode);
    return res.body.data.map((r: { id: string }) => r.id);
  };
  const modes = trigram ? (['fts', 'trigram'] as const) : (['fts'] as const);
  // Trigram search finds a substring; full text the whole word.
  const termFor = (mode: 'fts' | 'trigram', w0: string) => (mode === 'trigram' ? w0.slice(2, 8).toLowerCase() : w0);

  it('finds a created record at once, a renamed one under its new name only, a deleted one not at all', async () => {
    const [before, after] = [word(), word()];
    const created = await send('POST', `/v1/${resource}`, { token: w.tokens.admin, body: { ...(await bodyFor(w, resource)), [field]: `${before} Co` } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.data.id;
    for (const mode of modes) expect(await found(termFor(mode, before), mode), `${mode} after create`).toEqual([id]);

    const renamed = await send('PATCH', `/v1/${resource}/${id}`, { token: w.tokens.admin, body: { [field]: `${after} Co` } });
    expect(renamed.status).toBe(200);
    for (const mode of modes) {
      expect(await found(termFor(mode, after), mode), `${mode}: the new name`).toEqual([id]);
      expect(await found(termFor(mode, before), mode), `${mode}: the old name`).toEqual([]);
    }

    const deleted = await send('DELETE', `/v1/${resource}/${id}`, { token: w.tokens.admin });
    expect(deleted.status).toBe(204);
    for (const mode of modes) expect(await found(termFor(mode, after), mode), `${mode} after delete`).toEqual([]);
    if (resource !== 'activities') {
      // Soft-deleted: still in the trash, and found there; restored: found again.
      expect(await found(after, 'fts', '&deleted=only'), 'in the trash').toEqual([id]);
      expect((await send('POST', `/v1/${resource}/${id}/restore`, { token: w.tokens.admin })).status).toBe(200);
      for (const mode of modes) expect(await found(termFor(mode, after), mode), `${mode} after restore`).toEqual([id]);
    }
  });

  it('a batch rename (one statement for many rows) moves every record to its new name', async () => {
    const names = [word(), word(), word()];
    const made = await send('POST', `/v1/${resource}/batch`, {
      token: w.tokens.admin,
      body: { records: await Promise.all(names.map(async (n) => ({ ...(await bodyFor(w, resource)), [field]: n }))) },
    });
    expect(made.status, JSON.stringify(made.body).slice(0, 300)).toBe(200);
    const ids: string[] = made.body.data.map((r: { id: string }) => r.id);
    const next = names.map(() => word());
    const renamed = await send('POST', `/v1/${resource}/batch`, { token: w.tokens.admin, body: { records: ids.map((id, i) => ({ id, [field]: next[i] })) } });
    expect(renamed.status).toBe(200);
    for (const mode of modes)
      for (const [i, id] of ids.entries()) {
        expect(await found(termFor(mode, next[i]), mode)).toEqual([id]);
        expect(await found(termFor(mode, names[i]), mode)).toEqual([]);
      }
  });
});

/** A minimal create body (the references a deal or an activity needs). */
const bodyFor = (w: WriteOrg, resource: string) => w.body(resourceNamed(resource));

describe('contacts: the stored search columns', () => {
  it('search and search_text hold what was written, trimmed and lowercased', async () => {
    const w = await writeOrg();
    const [first, last] = [word(), word()];
    const res = await send('POST', '/v1/contacts', {
      token: w.tokens.admin,
      body: { first_name: ` ${first} `, last_name: last, email: `${first}@Example.com` },
    });
    const id = res.body.data.id;
    const [row] = await sql(
      `select search_text, search @@ crm_org_tsquery(org_id, to_tsquery('simple', $2)) as hit,
              search @@ crm_org_tsquery(org_id, to_tsquery('simple', $3)) as miss
       from contacts where id = $1`,
      [id, last.toLowerCase(), word().toLowerCase()],
    );
    expect(row.search_text).toBe(`${first} ${last} ${first}@example.com`.toLowerCase());
    expect(row.hit).toBe(true);
    expect(row.miss).toBe(false);
    await send('PATCH', `/v1/contacts/${id}`, { token: w.tokens.admin, body: { email: null } });
    const [after] = await sql('select search_text from contacts where id = $1', [id]);
    expect(after.search_text).toBe(`${first} ${last} `.toLowerCase());
  });
});

describe.each(Object.entries(LISTED))('%s: field_values follow API writes', (resource, columns) => {
  it('lists a written value, forgets a renamed, soft- or hard-deleted one, lists it again on restore', async () => {
    const w = await writeOrg();
    const column = columns[columns.length - 1];
    const fv = `${resource}.${column}`;
    const [a, b, c] = [word(), word(), word()];
    const made = await send('POST', `/v1/${resource}`, { token: w.tokens.admin, body: { ...(await bodyFor(w, resource)), [column]: a } });
    expect(made.status).toBe(201);
    const id = made.body.data.id;
    expect(await listed(w.org.id, fv)).toEqual([a]);
    // A second record holding the same value keeps it listed when the first lets go.
    const twin = await send('POST', `/v1/${resource}`, { token: w.tokens.admin, body: { ...(await bodyFor(w, resource)), [column]: a } });
    await send('PATCH', `/v1/${resource}/${id}`, { token: w.tokens.admin, body: { [column]: b } });
    expect(await listed(w.org.id, fv)).toEqual([a, b].sort());
    await send('PATCH', `/v1/${resource}/${twin.body.data.id}`, { token: w.tokens.admin, body: { [column]: c } });
    expect(await listed(w.org.id, fv), 'the last holder of a renamed').toEqual([b, c].sort());
    await send('DELETE', `/v1/${resource}/${id}`, { token: w.tokens.admin });
    expect(await listed(w.org.id, fv), 'soft-deleted').toEqual([c]);
    await send('POST', `/v1/${resource}/${id}/restore`, { token: w.tokens.admin });
    expect(await listed(w.org.id, fv), 'restored').toEqual([b, c].sort());
    await send('DELETE', `/v1/${resource}/${id}?hard=true`, { token: w.tokens.admin });
    expect(await listed(w.org.id, fv), 'hard-deleted').toEqual([c]);
    await send('PATCH', `/v1/${resource}/${twin.body.data.id}`, { token: w.tokens.admin, body: { [column]: null } });
    expect(await listed(w.org.id, fv), 'cleared').toEqual([]);
  });

  it('the value walk (a substring filter under its own order) finds a renamed record under its new value only', async () => {
    const w = await writeOrg();
    const column = columns[columns.length - 1];
    const [old, renamed] = [word(), word()];
    const made = await send('POST', `/v1/${resource}`, { token: w.tokens.admin, body: { ...(await bodyFor(w, resource)), [column]: old } });
    const id = made.body.data.id;
    const walk = async (v: string) => {
      const res = await get(`/v1/${resource}?${column}=ilike.*${v.slice(1, 7)}*&order=${column}.asc`, { token: w.tokens.admin });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
      return res.body.data.map((r: { id: string }) => r.id);
    };
    expect(await walk(old)).toEqual([id]);
    await send('PATCH', `/v1/${resource}/${id}`, { token: w.tokens.admin, body: { [column]: renamed } });
    expect(await walk(renamed)).toEqual([id]);
    expect(await walk(old)).toEqual([]);
  });
});
