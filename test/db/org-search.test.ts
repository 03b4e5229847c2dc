import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sql } from '../support/sql';

// The org-tagged full-text functions of migration 0005. The tag is a performance hint (each
// org's GIN postings apart), so it must never change what matches or how it ranks within an
// org: for any document and any query, tagged @@ tagged equals plain @@ plain, and ts_rank
// is the same. The alphabet is chosen to reach the quoting the tagging has to survive:
// apostrophes, backslashes, websearch operators, prefixes and non-ASCII letters.
const ORG = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
const word = fc.stringMatching(/^[abü'\\:*&|!()-]{1,5}$/);
const text = fc.array(word, { minLength: 1, maxLength: 6 }).map((ws) => ws.join(' '));

describe('org-tagged tsvector and tsquery', () => {
  it('keeps every lexeme, position and weight, each behind the org tag', async () => {
    const [row] = await sql<{ tag: string; plain: string; tagged: string }>(
      `select crm_org_tag($1::uuid) as tag, v::text as plain, crm_org_tsvector($1::uuid, v)::text as tagged
         from (select setweight($$'it''s':1 'c\\\\d':2,5 'ü':3$$::tsvector, 'A') || $$'x':1$$::tsvector as v) s`,
      [ORG],
    );
    expect(row.tag).toMatch(/^[0-9a-f]{8}$/);
    const unnested = await sql<{ lexeme: string; positions: number[]; weights: string[] }>(
      `select lexeme, positions, weights from unnest(crm_org_tsvector($1::uuid, $2::tsvector)) order by lexeme`,
      [ORG, row.plain],
    );
    const expected = await sql<{ lexeme: string; positions: number[]; weights: string[] }>(
      `select $2 || lexeme as lexeme, positions, weights from unnest($1::tsvector) order by 1`,
      [row.plain, row.tag],
    );
    expect(unnested).toEqual(expected);
    expect(unnested.map((r) => r.lexeme)).toContain(`${row.tag}it's`);
    expect(unnested.map((r) => r.lexeme)).toContain(`${row.tag}c\\d`);
  });

  it('tags every lexeme of a query: phrase, negation, prefix and weights survive', async () => {
    const [row] = await sql<{ tag: string; q: string }>(
      `select crm_org_tag($1::uuid) as tag, crm_org_tsquery($1::uuid, $$'it''s' <-> !ma:*B | (c & 'd\\\\e')$$::tsquery)::text as q`,
      [ORG],
    );
    const t = row.tag;
    expect(row.q).toBe(`'${t}it''s' <-> !'${t}ma':*B | '${t}c' & '${t}d\\\\e'`);
  });

  it('matches and ranks exactly as the untagged search, for any document and query', async () => {
    const samples = fc.sample(fc.tuple(text, text, fc.constantFrom('websearch_to_tsquery', 'plainto_tsquery', 'phraseto_tsquery')), { numRuns: 300, seed: 42 });
    const rows = await sql<{ i: number; plain: boolean; tagged: boolean; rank_plain: number; rank_tagged: number }>(
      `select i, v @@ q as plain, crm_org_tsvector($1::uuid, v) @@ crm_org_tsquery($1::uuid, q) as tagged,
              ts_rank(v, q) as rank_plain, ts_rank(crm_org_tsvector($1::uuid, v), crm_org_tsquery($1::uuid, q)) as rank_tagged
         from (select i, to_tsvector('simple', d) as v,
                      case f when 'websearch_to_tsquery' then websearch_to_tsquery('simple', s)
                             when 'plainto_tsquery' then plainto_tsquery('simple', s)
                             else phraseto_tsquery('simple', s) end as q
                 from unnest($2::text[], $3::text[], $4::text[]) with ordinality as u(d, s, f, i)) x`,
      [ORG, samples.map((s) => s[0]), samples.map((s) => s[1]), samples.map((s) => s[2])],
    );
    expect(rows).toHaveLength(samples.length);
    for (const r of rows) {
      expect({ i: r.i, sample: samples[r.i - 1], tagged: r.tagged, rank: r.rank_tagged }).toEqual({
        i: r.i,
        sample: samples[r.i - 1],
        tagged: r.plain,
        rank: r.rank_plain,
      });
    }
    // The samples must exercise both outcomes, or the property says nothing.
    expect(rows.filter((r) => r.plain).length).toBeGreaterThan(20);
    expect(rows.filter((r) => !r.plain).length).toBeGreaterThan(20);
  });

  it('a document of one org never matches the same words tagged for another org', async () => {
    const [row] = await sql<{ other: boolean; same: boolean }>(
      `select crm_org_tsvector($1::uuid, v) @@ crm_org_tsquery($2::uuid, q) as other, crm_org_tsvector($1::uuid, v) @@ crm_org_tsquery($1::uuid, q) as same
         from (select to_tsvector('simple', 'Maria Müller') as v, websearch_to_tsquery('simple', 'maria') as q) x`,
      [ORG, '5f2b8c3e-1d4a-4b6e-9c7f-0a1b2c3d4e5f'],
    );
    expect(row).toEqual({ other: false, same: true });
  });
});
