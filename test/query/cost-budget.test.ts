import { env, SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemo, createQueryCaches, type Memo } from '../../src/cache/isolate';
import { createDb, type Db } from '../../src/db/client';
import { LIMITS } from '../../src/query/ast';
import { EXACT_COUNT_BUDGET } from '../../src/query/count';
import { getRow, type ListContext, listRows } from '../../src/query/execute';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { CATALOG } from '../../src/resources/registry';
import { createOrg } from '../support/factories';
import { get, tokenFor } from '../support/http';
import { demoOrg } from '../support/seeded';
import { explain, sql } from '../support/sql';

// A request gets only the work it paid for: embeds, search terms and counts are bounded, and
// every refusal comes before the statement it refuses. Statement counts (a Db built here with
// createDb, recording what it runs) and plans prove it, never wall time; requests through the
// Worker show what a client gets (their statement counts also hold the auth middleware's own).
// The data: the seeded demo org, the largest (300k contacts).
const { contacts } = CATALOG;

/** A real Db that also records the text of every statement it runs. */
function recordingDb(): Db & { texts: string[] } {
  const db = createDb(env as never, () => {});
  const texts: string[] = [];
  return Object.assign(Object.create(db) as Db, {
    texts,
    stats: db.stats,
    query: (text: string, values?: readonly unknown[]) => {
      texts.push(text);
      return db.query(text, values);
    },
    close: () => db.close(),
  }) as Db & { texts: string[] };
}

/** The verdict memo, recording what the cost guard stores. */
function recordingMemo(): Memo & { stored: Map<string, number> } {
  const memo = createMemo({ max: 100, ttlMs: 60_000 });
  const stored = new Map<string, number>();
  return {
    stored,
    get: (key) => memo.get(key),
    set: (key, value) => {
      stored.set(key, value);
      memo.set(key, value);
    },
  };
}

const parse = (qs: string, prefer?: string) => parseQueryString(new URLSearchParams(qs), prefer);

describe('request cost budget', () => {
  let demo: { orgId: string; userId: string };
  let token: string;
  let truth: number;
  const dbs: Db[] = [];
  const context = (over: Partial<ListContext> = {}): ListContext & { db: Db & { texts: string[] } } => {
    const db = recordingDb();
    dbs.push(db);
    return {
      db,
      auth: { orgId: demo.orgId, userId: demo.userId, role: 'admin' },
      catalog: CATALOG,
      caches: createQueryCaches(),
      secret: 'cost-budget-test-secret-0123456789',
      countLimit: 10_000,
      ...over,
    } as ListContext & { db: Db & { texts: string[] } };
  };

  beforeAll(async () => {
    demo = await demoOrg();
    token = await tokenFor({ id: demo.userId, orgId: demo.orgId, role: 'admin' });
    [{ n: truth }] = await sql<{ n: number }>('select count(*)::int as n from contacts where org_id = $1 and deleted_at is null', [demo.orgId]);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.close()));
  });

  describe('embeds', () => {
    const aliases = (n: number, relation: string) => Array.from({ length: n }, (_, i) => `a${i}:${relation}(name)`).join(',');

    it('the probe (250 aliases of tags on a 1000-row page) is a 400 before any statement', async () => {
      const res = await get(`/v1/contacts?limit=1000&select=id,${aliases(250, 'tags')}`, { token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_query');
      expect(res.body.detail).toContain(`at most ${LIMITS.maxEmbeds} embedded relations`);
      const ctx = context();
      await expect(listRows(ctx, contacts, parse(`limit=1000&select=id,${aliases(250, 'tags')}`))).rejects.toMatchObject({ code: 'invalid_query' });
      await expect(getRow(ctx, contacts, demo.orgId, { select: parse(`select=${aliases(11, 'tags')}`).select, deleted: 'exclude' })).rejects.toMatchObject({
        code: 'invalid_query',
      });
      expect(ctx.db.texts).toEqual([]);
      expect(ctx.db.stats.queries).toBe(0);
    });

    it('rows × embeds over the budget is a 400 before any statement, on /v1 and on /rest/v1 (whose default page is 1000 rows)', async () => {
      const over = await get(`/v1/contacts?limit=1000&select=id,${aliases(7, 'owner')}`, { token });
      expect(over.status).toBe(400);
      expect(over.body.detail).toContain('limit=857');
      const rest = await get(`/rest/v1/contacts?select=id,${aliases(7, 'owner')}`, { token });
      expect(rest.status).toBe(400);
      expect(rest.body.code).toBe('invalid_query');
      const ctx = context();
      await expect(listRows(ctx, contacts, parse(`limit=858&select=id,${aliases(7, 'owner')}`))).rejects.toMatchObject({ code: 'invalid_query' });
      expect(ctx.db.stats.queries).toBe(0);
      // Just under the budget: served, in one statement.
      const under = await listRows(ctx, contacts, parse(`limit=857&select=id,${aliases(7, 'owner')}`));
      expect(under.rows).toHaveLength(857);
      expect(ctx.db.stats.queries).toBe(1);
      expect((await get(`/v1/contacts?limit=857&select=id,${aliases(7, 'owner')}`, { token })).status).toBe(200);
    });

    it('every relation of deals on a full page is served in one statement', async () => {
      const select = 'select=id,stage(name),pipeline(name),contact(first_name),company(name),owner(name),tags(name)';
      const ctx = context();
      expect((await listRows(ctx, CATALOG.deals, parse(`limit=1000&${select}`))).rows).toHaveLength(1000);
      expect(ctx.db.stats.queries).toBe(1);
      expect((await get(`/v1/deals?limit=1000&${select}`, { token })).status).toBe(200);
    });

    it('embeds do not nest: a relation inside a relation is a 400 before any statement', async () => {
      const res = await get('/v1/contacts?select=id,company(name,owner(name))', { token });
      expect(res.status).toBe(400);
      const ctx = context();
      await expect(listRows(ctx, contacts, parse('select=id,company(name,owner(name))'))).rejects.toMatchObject({ code: 'unknown_field' });
      expect(ctx.db.stats.queries).toBe(0);
    });
  });

  describe('search terms without trigrams', () => {
    it('pure punctuation (q=%%%, q=..., q=%) is a 400 in every mode, before any statement', async () => {
      const ctx = context();
      for (const q of ['%%%', '...', '%', '%% %%']) {
        for (const mode of ['auto', 'trigram', 'fuzzy', 'fts', 'prefix']) {
          const qs = `q=${encodeURIComponent(q)}&search_mode=${mode}`;
          const res = await get(`/v1/contacts?${qs}`, { token });
          expect(res.status, qs).toBe(400);
          expect(res.body.code, qs).toBe('invalid_query');
          await expect(listRows(ctx, contacts, parse(qs)), qs).rejects.toMatchObject({ code: 'invalid_query' });
        }
      }
      expect(ctx.db.stats.queries).toBe(0);
    });

    it('short words joined by punctuation (q=a%b) are refused in auto, trigram and fuzzy modes, before any statement', async () => {
      for (const mode of ['auto', 'trigram', 'fuzzy']) {
        const ctx = context();
        await expect(listRows(ctx, contacts, parse(`q=${encodeURIComponent('a%b')}&search_mode=${mode}`))).rejects.toMatchObject({
          code: 'invalid_query',
          detail: expect.stringContaining('3 letters or digits in a row'),
        });
        await expect(listRows(ctx, contacts, parse(`q=ab.&search_mode=${mode === 'auto' ? 'trigram' : mode}`))).rejects.toMatchObject({
          code: 'invalid_query',
        });
        expect(ctx.db.stats.queries).toBe(0);
      }
    });

    it('one short word with punctuation (q=ab.) is a word-prefix search: one statement, no sequential scan, no fuzzy fallback', async () => {
      const res = await get('/v1/contacts?q=ab.', { token });
      expect(res.status).toBe(200);
      expect(res.body.meta.searchMode.mode).toBe('prefix');
      const ctx = context();
      expect((await listRows(ctx, contacts, parse('q=ab.'))).search?.mode).toBe('prefix');
      expect(ctx.db.stats.queries).toBe(1);
      const plan = planList({ catalog: CATALOG, resource: contacts, req: parse('q=ab.'), orgId: demo.orgId });
      const explained = await explain(plan.statement, plan.values);
      expect(explained.seqScans).toEqual([]);
    });
  });

  describe("the cost guard's verdicts", () => {
    // Not index-friendly (a negation), so the guard prices it; same filters throughout.
    const risky = 'email=not.like.*zz*';

    it('a cheap request never primes the verdict of a larger page, a deeper offset, another select or another org', async () => {
      const verdicts = recordingMemo();
      const caches = { ...createQueryCaches(), verdicts };
      const run = async (qs: string, orgId = demo.orgId) => {
        const ctx = context({ caches, auth: { orgId, userId: demo.userId, role: 'admin' } });
        await listRows(ctx, contacts, parse(`${risky}&${qs}`));
        return ctx.db.texts.filter((t) => t.startsWith('explain')).length;
      };
      // The cheap one and the expensive one compile to the same statement text (limit and
      // offset are bound parameters): only the key's page size and offset tell them apart.
      const cheap = planList({ catalog: CATALOG, resource: contacts, req: parse(`${risky}&limit=1&offset=1`), orgId: demo.orgId });
      const deep = planList({ catalog: CATALOG, resource: contacts, req: parse(`${risky}&limit=1000&offset=10000`), orgId: demo.orgId });
      expect(cheap.indexFriendly).toBe(false);
      expect(deep.statement).toBe(cheap.statement);
      expect(await run('limit=1&offset=1')).toBe(1);
      expect(await run('limit=1&offset=1')).toBe(0); // remembered
      expect(await run('limit=1000&offset=1')).toBe(1);
      expect(await run('limit=1000&offset=10000')).toBe(1);
      expect(await run('limit=1&offset=1&select=id,owner(name)')).toBe(1);
      const other = await createOrg();
      expect(await run('limit=1&offset=1', other.id)).toBe(1);
      expect(verdicts.stored.size).toBe(5);
      const costs = [...verdicts.stored.values()];
      // The deep page was priced on its own, higher than the cheap one the guard saw first.
      expect(costs[1]).toBeGreaterThan(costs[0]);
      expect(costs[2]).toBeGreaterThan(costs[1]);
    });
  });

  describe('count=exact under a row budget', () => {
    const texts = (db: { texts: string[] }) => db.texts.map((t) => t.replace(/\s+/g, ' '));
    /** A count statement that counts every match, with no bound on how many. */
    const unbounded = (t: string) => /^select count\(\*\)/.test(t) && !/ limit \d+\) \w+$/.test(t) && !/::uuid$/.test(t);

    it('under the budget (the largest org, 300k): exact, by a count bounded at the budget, beside the page', async () => {
      expect(truth).toBeLessThan(EXACT_COUNT_BUDGET);
      const ctx = context();
      const result = await listRows(ctx, contacts, parse('limit=1', 'count=exact'));
      expect(result.count).toEqual({ value: truth, method: 'exact' });
      // Two statements, as before the budget: the page and the bounded count.
      expect(ctx.db.texts).toHaveLength(2);
      expect(texts(ctx.db)[1]).toMatch(new RegExp(` limit ${EXACT_COUNT_BUDGET + 1}\\) bounded$`));
      expect(texts(ctx.db).filter(unbounded)).toEqual([]);
      const res = await get('/v1/contacts?limit=1', { token, headers: { Prefer: 'count=exact, handling=strict' } });
      expect(res.status).toBe(200);
      expect(res.body.count).toEqual({ value: truth, method: 'exact' });
    });

    it('over the budget, lenient (the default): answers an estimate and says so; nothing counts every match, and the overflow is remembered', async () => {
      const caches = createQueryCaches();
      const ctx = context({ exactCountBudget: 50_000, caches });
      const result = await listRows(ctx, contacts, parse('limit=1', 'count=exact'));
      expect(result.count?.method).toBe('estimated');
      expect(result.count?.value).toBeGreaterThan(truth * 0.9);
      expect(result.count?.value).toBeLessThan(truth * 1.1);
      expect(result.rows).toHaveLength(1);
      expect(texts(ctx.db).filter(unbounded)).toEqual([]);
      expect(texts(ctx.db).filter((t) => t.endsWith(' limit 50001) bounded'))).toHaveLength(1);
      // The same shape again: straight to the (remembered) estimate, no count at all.
      const again = context({ exactCountBudget: 50_000, caches });
      expect((await listRows(again, contacts, parse('limit=1', 'count=exact'))).count).toEqual(result.count);
      expect(again.db.texts).toHaveLength(1);
      // And a strict request for it is refused before any statement.
      const strict = context({ exactCountBudget: 50_000, caches });
      await expect(listRows(strict, contacts, parse('limit=1', 'count=exact, handling=strict'))).rejects.toMatchObject({ code: 'query_too_expensive' });
      expect(strict.db.stats.queries).toBe(0);
    });

    it('over the budget with Prefer: handling=strict: 422 query_too_expensive after one EXPLAIN, before the page or any count runs (GET and the count-only HEAD shape)', async () => {
      for (const limit of [25, 0]) {
        const ctx = context({ exactCountBudget: 50_000 });
        await expect(listRows(ctx, contacts, parse(`limit=${limit}`, 'count=exact, handling=strict'))).rejects.toMatchObject({
          code: 'query_too_expensive',
          detail: expect.stringContaining('50000'),
        });
        expect(ctx.db.texts).toHaveLength(1);
        expect(ctx.db.texts[0]).toMatch(/^explain /);
      }
    });

    it('/rest/v1: strict exactness is applied and said (Preference-Applied), on GET and on HEAD', async () => {
      const ask = (method: string) =>
        SELF.fetch('http://localhost/rest/v1/contacts?select=id&limit=1', {
          method,
          headers: { Authorization: `Bearer ${token}`, Prefer: 'count=exact, handling=strict' },
        });
      for (const method of ['GET', 'HEAD']) {
        const res = await ask(method);
        await res.arrayBuffer();
        expect(res.status, method).toBe(200);
        expect(res.headers.get('content-range'), method).toBe(`0-0/${truth}`);
        expect(res.headers.get('preference-applied'), method).toBe('count=exact, handling=strict');
      }
    });
  });
});
