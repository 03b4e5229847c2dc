/**
 * The scenario catalogue: what each BENCH.md scenario requests and how its baselines are
 * computed. Adding a scenario means adding an entry here. A scenario whose route does not
 * exist yet (404 at probe time) is skipped with a note, so entries can land before routes.
 */
import { AGGREGATES_SCENARIO, FACETS_SCENARIO } from './analytics-scenarios';
import { appUsersFloor, appUsersNaive } from './baselines/appusers';
import { contactsNaive, naiveSearch } from './baselines/contacts';
import { listFloor } from './baselines/list-floor';
import { CACHE_HIT_SCENARIO } from './cache-hit-scenario';
import { type BenchContext, REFERENCE_LABEL, type Scenario, type Variant } from './context';
import { deepTarget, walkToDeepCursor } from './deep-cursor';
import { EXPORT_SCENARIO } from './export-scenario';
import { CONTACTS, dirOf, filterSearch, SORTABLE } from './filter-request';
import { MIX_SCENARIO } from './mix-scenario';
import { SHARING_SCENARIO } from './sharing-scenario';
import { findCommonWords, findRareSurname } from './terms';
import { WORKFLOW_SCENARIO } from './workflow-scenario';
import { WRITE_SCENARIO } from './write-scenario';

/** A GET on the API as the bench user; `prefer` becomes a Prefer header. */
function get(path: string, prefer?: string): (ctx: BenchContext) => { path: string; headers: Record<string, string> } {
  return (ctx) => ({ path, headers: { Authorization: `Bearer ${ctx.token}`, ...(prefer ? { Prefer: prefer } : {}) } });
}

/** A /v1/contacts variant: the request, its db floor (the list verb's SQL) and the naive equivalent. */
function contactsVariant(label: string, search: (ctx: BenchContext) => string, naive: Variant['naive'], prefer?: string, notes?: Variant['notes']): Variant {
  return {
    label,
    request: (ctx) => get(`${CONTACTS}?${search(ctx)}`, prefer)(ctx),
    floor: listFloor(search, prefer),
    naive,
    notes,
  };
}

/** The plain first page again, right before the variants compared with it (see REFERENCE_LABEL). */
const reference = (): Variant => contactsVariant(REFERENCE_LABEL, () => 'limit=25', undefined);

/** A search term found by a scenario's prepare step. */
const term = (key: string) => (ctx: BenchContext) => ctx.found.get(key)!;
const q = (key: string) => (ctx: BenchContext) => `q=${encodeURIComponent(term(key)(ctx))}`;

export const SCENARIOS: Scenario[] = [
  {
    id: 'empty',
    auth: false,
    probe: '/empty',
    variants: [{ label: 'no work', request: () => ({ path: '/empty' }), notes: 'the edge floor: a route that touches nothing' }],
  },
  {
    id: 'list',
    auth: true,
    probe: `${CONTACTS}?limit=1`,
    variants: [contactsVariant('first page', () => 'limit=25', contactsNaive({}))],
  },
  {
    id: 'filter',
    auth: true,
    probe: `${CONTACTS}?limit=1`,
    // Issue 3 asks for the 3-filter list under each sortable field's order: each one must be
    // served by that field's index within the org, with the filters checked on the way.
    variants: SORTABLE.map((field) =>
      contactsVariant(
        `eq+ilike+range, by ${field}`,
        () => filterSearch(field),
        contactsNaive({
          where: (add) => ["c.status = 'active'", `(c.last_name || '') ilike ${add('%son%')}`, `c.created_at >= ${add('2024-01-01')}::timestamptz`],
          orderBy: `c.${field} ${dirOf(field)}${field === 'id' ? '' : `, c.id ${dirOf(field)}`}`,
        }),
      ),
    ),
  },
  {
    id: 'deep',
    auth: true,
    probe: `${CONTACTS}?limit=1`,
    prepare: walkToDeepCursor,
    variants: [
      reference(),
      contactsVariant(
        'by cursor',
        (ctx) => `limit=25&cursor=${encodeURIComponent(ctx.found.get('deep.cursor')!)}`,
        contactsNaive({ offset: (ctx) => Number(ctx.found.get('deep.depth') ?? deepTarget(ctx)) }),
        undefined,
        (ctx) => `${Number(ctx.found.get('deep.depth')).toLocaleString('en')} rows deep; naive pages to the same depth with OFFSET`,
      ),
    ],
  },
  {
    id: 'count',
    auth: true,
    probe: `${CONTACTS}?limit=1`,
    variants: [
      reference(),
      contactsVariant('count=estimated', () => 'limit=25', contactsNaive({}), 'count=estimated'),
      contactsVariant('count=exact', () => 'limit=25', contactsNaive({}), 'count=exact'),
    ],
  },
  {
    id: 'search-trgm',
    auth: true,
    probe: `${CONTACTS}?limit=1&q=son`,
    prepare: findRareSurname,
    variants: [
      contactsVariant('common "son"', () => 'q=son', contactsNaive(naiveSearch(() => 'son'))),
      contactsVariant('rare surname', q('trgm.rare'), contactsNaive(naiveSearch(term('trgm.rare')))),
    ],
  },
  {
    id: 'search-fts',
    auth: true,
    probe: `${CONTACTS}?limit=1&q=anna`,
    prepare: async (ctx) => {
      await findCommonWords(ctx);
      await findRareSurname(ctx);
    },
    // One term alone would be served by trigram search in auto mode: full text is asked for.
    variants: [
      contactsVariant('one common word', (ctx) => `${q('fts.one')(ctx)}&search_mode=fts`, contactsNaive(naiveSearch(term('fts.one')))),
      contactsVariant('one rare word', (ctx) => `${q('trgm.rare')(ctx)}&search_mode=fts`, contactsNaive(naiveSearch(term('trgm.rare')))),
      contactsVariant('two words', q('fts.two'), contactsNaive(naiveSearch(term('fts.two')))),
    ],
  },
  {
    id: 'appusers',
    auth: true,
    probe: '/api/v1/appusers/?page_size=1',
    variants: [appUsersVariant('last_name=son', 'last_name=son&ordering=-created&page_size=20'), appUsersVariant('city=ber', 'city=ber&ordering=last_name')],
  },
  FACETS_SCENARIO,
  AGGREGATES_SCENARIO,
  CACHE_HIT_SCENARIO,
  SHARING_SCENARIO,
  // After the reads: its PATCHes change phones (as `write` does), which the reads before it should find as seeded.
  MIX_SCENARIO,
  // Before `write`: it reads the bench org's oldest contacts as seeded (its jobs' rows are deleted after it).
  EXPORT_SCENARIO,
  // Before `write`: its runs set the phones of 8 contacts (the last by id; `write` and `mix` PATCH the first); its workflows are deleted after it.
  WORKFLOW_SCENARIO,
  // Last: it writes into the dataset, and the reads before it should find it as seeded.
  WRITE_SCENARIO,
];

function appUsersVariant(label: string, search: string): Variant {
  return {
    label,
    request: get(`/api/v1/appusers/?${search}`),
    floor: appUsersFloor(search),
    naive: appUsersNaive(search),
  };
}
