import { AppError } from '../core/errors';
import { LIMITS, type SearchMode } from './ast';
import { orgTsquery, type Params } from './params';
import type { ResourceDef } from './resource';
import { escapeLike } from './values';

/**
 * Ranked search (every mode but prefix, which keeps the list's order) looks at most at this
 * many matches, the most recent ones, so big orgs stay fast and ranking stays cheap. Full text
 * once took 500: for one common word the planner walks the recency index until it has them
 * (7.8 ms for `maria` in the largest of 3M contacts, 3.4 ms for 200), and ts_rank over short
 * name and email fields is nearly flat for one word, so the extra 300 bought little ranking.
 */
export const SEARCH_CANDIDATES = 200;

export interface SearchPlan {
  mode: Exclude<SearchMode, 'auto'>;
  reason: string;
  /** WHERE condition selecting matches. */
  where: string;
  /**
   * Relevance expression (higher is better), for ranked mode. A function: parameters only the
   * ranking uses are added after the count's values were taken, so a count statement never
   * carries a parameter it does not reference (Postgres cannot type those).
   */
  rank: (p: Params) => string;
}

/** Said in meta.searchMode when auto mode found no substring match and retried by similarity. */
export const FUZZY_FALLBACK_REASON = 'no substring match: typo-tolerant word similarity';

const WEBSEARCH_SYNTAX = /["()]|\s-|^-|\bor\b/i;

/** Runs of letters or digits: the words pg_trgm and the tsvector see (punctuation separates them). */
function wordsOf(q: string): string[] {
  return q.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Whether `q` has a trigram to search by: pg_trgm takes trigrams from a LIKE pattern only where
 * 3 letters or digits stand in a row. Without one (`%%%`, `a%b`, `ab.`) its index reads every
 * row of the org, and the typo pass after it every row again.
 */
function hasTrigramRun(q: string): boolean {
  return wordsOf(q).some((w) => [...w].length >= 3);
}

/** Picks the mode for `q` (trimmed) when the client left it to us, and says why. */
export function chooseSearchMode(q: string, requested: SearchMode, hasTrigram: boolean): { mode: SearchPlan['mode']; reason: string } {
  if (requested !== 'auto') return { mode: requested, reason: 'requested' };
  if (q.length < 3) return { mode: 'prefix', reason: 'shorter than 3 characters: word-prefix search' };
  if (/\s/.test(q) || WEBSEARCH_SYNTAX.test(q)) return { mode: 'fts', reason: 'several words or websearch syntax: ranked full-text' };
  if (!hasTrigram) return { mode: 'fts', reason: 'one term; this resource has no trigram-indexed fields: ranked full-text' };
  if (wordsOf(q).length === 1 && !hasTrigramRun(q)) return { mode: 'prefix', reason: 'one word shorter than 3 letters or digits: word-prefix search' };
  return { mode: 'trigram', reason: 'one term: substring match (typo-tolerant similarity if nothing matches)' };
}

/** Letters and digits of `q` as prefix terms: `ma jo` → `ma:* & jo:*`. */
function prefixQuery(q: string): string {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words
    .slice(0, 8)
    .map((w) => `${w}:*`)
    .join(' & ');
}

export function planSearch(resource: ResourceDef, rawQ: string, requested: SearchMode, p: Params): SearchPlan {
  const search = resource.search;
  if (!search) throw new AppError('invalid_query', `${resource.name} does not support q= search.`, [{ path: 'q', message: 'search not supported' }]);
  const q = rawQ.trim();
  if (!q) throw new AppError('invalid_query', 'q: give a search term.', [{ path: 'q', message: 'empty search' }]);
  if (q.length > LIMITS.maxQueryLength)
    throw new AppError('invalid_query', `q: at most ${LIMITS.maxQueryLength} characters.`, [{ path: 'q', message: 'too long' }]);
  // Nothing to search by in any mode: no index could narrow it, and no row could match a word.
  if (!wordsOf(q).length) throw new AppError('invalid_query', 'q: give letters or digits to search for.', [{ path: 'q', message: 'no searchable characters' }]);
  const { mode, reason } = chooseSearchMode(q, requested, search.trigram.length > 0);
  const a = resource.alias;
  const vector = `${a}.${search.vector}`;
  if (mode === 'fts') {
    const query = orgTsquery(`websearch_to_tsquery('simple', ${p.add(q)})`);
    return { mode, reason, where: `${vector} @@ ${query}`, rank: () => `ts_rank(${vector}, ${query})` };
  }
  if (mode === 'prefix') {
    const terms = prefixQuery(q);
    if (!terms) throw new AppError('invalid_query', 'q: prefix search needs letters or digits.', [{ path: 'q', message: 'no searchable characters' }]);
    const query = orgTsquery(`to_tsquery('simple', ${p.add(terms)})`);
    return { mode, reason, where: `${vector} @@ ${query}`, rank: () => `ts_rank(${vector}, ${query})` };
  }
  if (!search.trigram.length) {
    throw new AppError('invalid_query', `q: ${resource.name} has no trigram-indexed fields; use search_mode=fts or prefix.`, [
      { path: 'search_mode', message: `${mode} not available` },
    ]);
  }
  if (!hasTrigramRun(q)) {
    throw new AppError(
      'invalid_query',
      `q: ${mode} search needs 3 letters or digits in a row (shorter words have no trigram to search by); write more of one word, or use search_mode=prefix for word prefixes.`,
      [{ path: 'q', message: `no trigram for ${mode}` }],
    );
  }
  const { fuzzy, substring, similarity } = trigramSql(resource, search);
  if (mode === 'fuzzy') {
    // Close words (typos): word similarity above pg_trgm's threshold, served by the trigram GIN indexes.
    const t = p.add(q);
    return { mode, reason, where: fuzzy(t), rank: () => similarity(t) };
  }
  // Substring: cheap per row, so the planner may walk the recency index for common terms.
  const pattern = p.add(`%${escapeLike(q)}%`);
  return { mode, reason, where: substring(pattern), rank: (later) => similarity(`${later.add(q)}::text`) };
}

/** SQL for one-term search over the resource's trigram fields, given the term's placeholder. */
function trigramSql(resource: ResourceDef, search: NonNullable<ResourceDef['search']>) {
  const a = resource.alias;
  if (search.text) {
    // One stored lowercase string per row: a plain LIKE (no per-row lowercasing) and one
    // trigram index; pg_trgm's similarity is case-insensitive already.
    const text = `${a}.${search.text}`;
    return {
      fuzzy: (t: string) => `${t} <% ${text}`,
      substring: (pattern: string) => `${text} like lower(${pattern})`,
      similarity: (t: string) => `word_similarity(${t}, ${text})`,
    };
  }
  const cols = search.trigram.map((f) => `${a}.${resource.fields[f].column}`);
  return {
    fuzzy: (t: string) => `(${cols.map((c) => `${t} <% ${c}`).join(' or ')})`,
    substring: (pattern: string) => `(${cols.map((c) => `${c} ilike ${pattern}`).join(' or ')})`,
    similarity: (t: string) => `greatest(${cols.map((c) => `word_similarity(${t}, coalesce(${c}, ''))`).join(', ')})`,
  };
}
