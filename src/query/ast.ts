/**
 * The list dialect's AST. Both the PostgREST-style query string (parse-query-string.ts) and
 * the JSON body (parse-json.ts) parse to this; check.ts validates it against a resource, and
 * compile.ts turns the checked form into one parameterised statement.
 */
/** Operators of the query-string dialect (PostgREST's names). */
export const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is', 'fts', 'plfts', 'phfts', 'wfts', 'cs', 'ov'] as const;
/** Literal substring operators: the JSON form's contains/startsWith/endsWith (no wildcards in the value). */
export const LITERAL_OPERATORS = ['contains', 'startswith', 'endswith'] as const;
export type Operator = (typeof OPERATORS)[number] | (typeof LITERAL_OPERATORS)[number];
/** Substring and pattern operators: served by a trigram index, never by a btree range. */
export const PATTERN_OPERATORS: ReadonlySet<Operator> = new Set<Operator>(['like', 'ilike', ...LITERAL_OPERATORS]);

export interface Condition {
  kind: 'cond';
  field: string;
  op: Operator;
  /** Raw value as the client sent it: a string (query string) or JSON value (body). */
  value: unknown;
  not?: boolean;
  /** Text search configuration for fts operators, e.g. fts(english). */
  config?: string;
}

export interface Group {
  kind: 'and' | 'or';
  items: Filter[];
  not?: boolean;
}

/**
 * A condition on a related record: some row of `relation` (a relation of the resource, by its
 * name) satisfies all of `items` together, which are checked against the relation's target.
 * Compiled to an `exists` semi-join, so a to-many relation never repeats the parent row. Only
 * mounts build it (appusers' address and relationship filters); the query-string and JSON
 * dialects do not expose it (PostgREST's `rel.col=` filters the embed, not the parent).
 */
export interface Related {
  kind: 'related';
  relation: string;
  items: Filter[];
  not?: boolean;
}

export type Filter = Condition | Group | Related;

export interface OrderTerm {
  field: string;
  dir: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export interface SelectTree {
  /**
   * Columns of the resource, as written (`first_name`, or `name:first_name` to rename it in the
   * answer, as PostgREST does); empty means the resource's default projection.
   */
  fields: string[];
  /** Embedded relations; `alias` renames one in the answer (`employer:company(name)`). */
  relations: Array<{ name: string; alias?: string; fields: string[] }>;
}

export type CountMode = 'exact' | 'planned' | 'estimated';
export type SearchMode = 'auto' | 'fts' | 'trigram' | 'fuzzy' | 'prefix';
export const SEARCH_MODES: readonly SearchMode[] = ['auto', 'fts', 'trigram', 'fuzzy', 'prefix'];
export type DeletedMode = 'exclude' | 'include' | 'only';

export interface ListRequest {
  where: Filter[];
  order: OrderTerm[];
  select?: SelectTree;
  limit: number;
  cursor?: string;
  offset?: number;
  count?: CountMode;
  q?: string;
  search: SearchMode;
  deleted: DeletedMode;
  /**
   * `Prefer: handling=strict` (PostgREST): what was asked is required, so a `count=exact` over
   * its budget is refused rather than estimated. Absent means lenient.
   */
  handling?: 'strict' | 'lenient';
}

export const LIMITS = {
  defaultLimit: 25,
  maxLimit: 1000,
  maxOffset: 10_000,
  maxDepth: 4,
  maxTerms: 32,
  maxOrderTerms: 3,
  maxInList: 500,
  maxValueLength: 500,
  maxQueryLength: 200,
  /** Embedded relations in one select, each alias counted (250 aliases of one relation once took 40 s). */
  maxEmbeds: 10,
  /**
   * Page rows × embedded relations: each embed is a subquery per page row. 6,000 is every
   * relation of deals (six, the most of any resource) on a full 1000-row page.
   */
  maxEmbedRows: 6_000,
} as const;
