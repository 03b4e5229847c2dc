import { describe, expect, it } from 'vitest';
import { LIMITS, type ListRequest } from '../../src/query/ast';
import { EXACT_COUNT_BUDGET } from '../../src/query/count';
import { handlingFromPrefer, parseQueryString } from '../../src/query/parse-query-string';
import { planGet, planList } from '../../src/query/plan';
import type { ResourceDef } from '../../src/query/resource';
import { chooseSearchMode } from '../../src/query/search';
import { CATALOG } from '../../src/resources/registry';

// The request budget's pure limits: every refusal here is thrown by the plan stage, which has
// no database (this lane has none), so none of them can have run a statement.
const { contacts, deals } = CATALOG;
const ORG = '00000000-0000-4000-8000-000000000001';
const parse = (qs: string, prefer?: string) => parseQueryString(new URLSearchParams(qs), prefer);
const plan = (resource: ResourceDef, qs: string) => planList({ catalog: CATALOG, resource, req: parse(qs), orgId: ORG });
const aliases = (n: number, relation: string) => Array.from({ length: n }, (_, i) => `a${i}:${relation}(name)`).join(',');
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as { code: string; detail: string; errors?: Array<{ path: string }> };
  }
  throw new Error('expected a refusal');
};

describe('embed budget', () => {
  it('states its values: 10 embeds per request, 6,000 rows × embeds per page', () => {
    expect(LIMITS.maxEmbeds).toBe(10);
    expect(LIMITS.maxEmbedRows).toBe(6_000);
  });

  it('refuses more than maxEmbeds embeds (the probe: 250 aliases of one relation) with a 400 naming the limit', () => {
    for (const n of [LIMITS.maxEmbeds + 1, 250]) {
      const err = refusal(() => plan(contacts, `limit=1&select=id,${aliases(n, 'tags')}`));
      expect(err.code).toBe('invalid_query');
      expect(err.detail).toContain(`at most ${LIMITS.maxEmbeds} embedded relations`);
      expect(err.errors?.[0].path).toBe('select');
    }
    expect(plan(contacts, `limit=1&select=id,${aliases(LIMITS.maxEmbeds, 'tags')}`).statement).toContain('"a9"');
  });

  it('refuses a page whose rows × embeds exceed maxEmbedRows, and serves the widest page under it', () => {
    // 857 × 7 = 5,999 ≤ 6,000 < 858 × 7 = 6,006.
    expect(plan(contacts, `limit=857&select=id,${aliases(7, 'owner')}`).statement).toContain('"a6"');
    const err = refusal(() => plan(contacts, `limit=858&select=id,${aliases(7, 'owner')}`));
    expect(err.code).toBe('invalid_query');
    expect(err.detail).toContain('limit=857');
    expect(err.errors?.[0].path).toBe('select');
    // Every relation of deals (6, the most any resource has) on a full 1000-row page.
    expect(plan(deals, 'limit=1000&select=*,stage(*),pipeline(*),contact(*),company(*),owner(*),tags(*)').statement).toContain('"tags"');
  });

  it('embeds do not nest: a relation inside a relation is refused', () => {
    expect(refusal(() => plan(contacts, 'select=id,company(name,owner(name))')).code).toBe('unknown_field');
  });

  it('a single record takes the same embed cap', () => {
    const req: Pick<ListRequest, 'select' | 'deleted'> = { select: parse(`select=id,${aliases(11, 'tags')}`).select, deleted: 'exclude' };
    const err = refusal(() => planGet({ catalog: CATALOG, resource: contacts, orgId: ORG, id: ORG, req }));
    expect(err.code).toBe('invalid_query');
  });
});

describe('search terms without trigrams', () => {
  const pureP = ['%%%', '...', '%', '-', '!!!!', '%% %%', '…'];
  it('pure punctuation is a 400 in every mode', () => {
    for (const q of pureP) {
      for (const mode of ['auto', 'fts', 'trigram', 'fuzzy', 'prefix']) {
        const err = refusal(() => plan(contacts, `q=${encodeURIComponent(q)}&search_mode=${mode}`));
        expect(err.code, `${q} ${mode}`).toBe('invalid_query');
        expect(err.errors?.[0].path, `${q} ${mode}`).toBe('q');
      }
    }
  });

  it('auto mode: a term with a run of 3 letters or digits is a substring search; one short word is a word prefix; several short words are refused', () => {
    expect(chooseSearchMode('abc%', 'auto', true).mode).toBe('trigram');
    expect(chooseSearchMode('una_sc', 'auto', true).mode).toBe('trigram');
    expect(chooseSearchMode('ab.', 'auto', true).mode).toBe('prefix');
    expect(chooseSearchMode('.ab', 'auto', true).mode).toBe('prefix');
    expect(chooseSearchMode('ab', 'auto', true).mode).toBe('prefix');
    expect(plan(contacts, 'q=ab.').values).toContain('ab:*');
    for (const q of ['a%b', 'ab-cd', 'a.b.c']) {
      const err = refusal(() => plan(contacts, `q=${encodeURIComponent(q)}`));
      expect(err.code, q).toBe('invalid_query');
      expect(err.detail, q).toContain('3 letters or digits in a row');
    }
  });

  it('trigram and fuzzy need a run of 3 letters or digits (2-character words have no trigram to search by)', () => {
    for (const q of ['ab.', 'a%b', 'ab cd', 'ab-cd']) {
      for (const mode of ['trigram', 'fuzzy']) {
        const err = refusal(() => plan(contacts, `q=${encodeURIComponent(q)}&search_mode=${mode}`));
        expect(err.code, `${q} ${mode}`).toBe('invalid_query');
        expect(err.detail, `${q} ${mode}`).toContain('3 letters or digits in a row');
      }
    }
    expect(plan(contacts, 'q=abc.&search_mode=fuzzy').search?.mode).toBe('fuzzy');
    // The fuzzy fallback runs only after a trigram search, so its term always has a trigram.
    expect(planList({ catalog: CATALOG, resource: contacts, req: parse('q=abc%25'), orgId: ORG, fallback: true }).search?.mode).toBe('fuzzy');
  });
});

describe('count budget', () => {
  it('states its value: exact counts up to 500,000 rows', () => {
    expect(EXACT_COUNT_BUDGET).toBe(500_000);
  });

  it('Prefer: handling=strict requires what was asked; lenient by default', () => {
    expect(handlingFromPrefer('count=exact, handling=strict')).toBe('strict');
    expect(handlingFromPrefer('handling=lenient,count=exact')).toBe('lenient');
    expect(handlingFromPrefer('count=exact')).toBe('lenient');
    expect(handlingFromPrefer(undefined)).toBe('lenient');
    expect(parse('limit=1', 'count=exact, handling=strict')).toMatchObject({ count: 'exact', handling: 'strict' });
    expect(parse('limit=1', 'count=exact').handling).toBeUndefined();
  });
});
