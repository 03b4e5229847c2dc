import type pg from 'pg';
import type { Auth } from '../../src/core/auth';
import type { LoadResult } from './load';

/** Scenario ids exactly as BENCH.md's table names them. */
export const SCENARIO_IDS = [
  'empty',
  'list',
  'filter',
  'deep',
  'search-trgm',
  'search-fts',
  'count',
  'facets',
  'aggregates',
  'cache-hit',
  'appusers',
  'sharing',
  'write',
  'export',
  'workflow',
  'mix',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface DatasetFacts {
  contacts: number;
  orgs: number;
  largest_org_contacts: number;
}

/** What scenarios see: the warm bench connection, the caller, the server of the current mode. */
export interface BenchContext {
  /** A warm connection straight to Postgres (not through the pooler): baselines run on it. */
  pg: pg.Client;
  auth: Auth;
  /** Bearer token for `auth` (admin of the largest org). */
  token: string;
  orgSlug: string;
  /** COUNT_EXACT_LIMIT from wrangler.toml [vars], as the Worker reads it. */
  countLimit: number;
  dataset: DatasetFacts;
  /** Base URL of the wrangler dev server of the mode being measured. */
  baseUrl: string;
  /** Process group of that `wrangler dev` (its workerd runs in it): `export` samples workerd's memory. */
  serverPid?: number;
  /** That `wrangler dev`'s inspector port: `export` samples the Worker isolate's JS heap through it. */
  inspectorPort?: number;
  /** Values scenarios compute once per run (search terms, a deep cursor), by key. */
  found: Map<string, string>;
  log(message: string): void;
}

export interface HttpRequest {
  path: string;
  headers?: Record<string, string>;
  /** GET when absent. */
  method?: 'GET' | 'PATCH' | 'POST';
  body?: string;
  /**
   * A fresh path and body for every request sent (`path`/`body` above are then one example,
   * for the probe and the notes): a write that sent the same value to the same row each time
   * would measure an update that changes nothing.
   */
  next?: () => { path: string; body?: string };
  /**
   * Runs before each send, outside the timed span (in turns only: autocannon has no such
   * hook). The sharing scenario raises the org's sharing version here, so the request that
   * follows must fetch its grants from the org's Durable Object.
   */
  before?: () => Promise<void>;
  /** Names what answered, from the response headers; counted per answer (in turns only), shown in the notes. */
  tally?: (headers: ResponseHeaders) => string;
  /**
   * A duration the Worker reports about itself, in ms, from the response headers (a
   * Server-Timing entry); recorded per answer that has one (in turns only), summarised beside
   * the latencies. The sharing scenario reads the time the org's Durable Object took to answer.
   */
  timing?: { what: string; from: (headers: ResponseHeaders) => number | undefined };
  /**
   * Whether the edge tiers may answer. By default every request carries `Cache-Control:
   * no-cache`, so the scenarios measure Postgres as they always have; a scenario measuring a
   * tier's hits says so.
   */
  tiers?: boolean;
}

/** Response headers as Node gives them (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A baseline is built once per run and returns what one "request" of it does. */
export type BaselineFactory = (ctx: BenchContext) => Promise<() => Promise<unknown>>;

export interface Variant {
  /** Short label for tables and the chart ("last_name=son", "exact"). */
  label: string;
  request(ctx: BenchContext): HttpRequest;
  /** The exact SQL the API runs for this request, from the API's own code, on a warm connection. */
  floor?: BaselineFactory;
  /** The seeds' "before": no trigram index, OFFSET, COUNT(*) per page, N+1 related queries. */
  naive?: BaselineFactory;
  /** A function when the note depends on what prepare found (e.g. the depth reached). */
  notes?: string | ((ctx: BenchContext) => string);
  /** Only at these of the run's concurrency levels (default: all of them). */
  concurrency?: number[];
  /** Rows each request writes: the row then reports rows/s (requests/s × this). */
  rowsPerRequest?: number;
  /**
   * The label of the variant this one takes turns with at concurrency 1 (default: the
   * scenario's REFERENCE_LABEL variant, if it has one): the member's request with the admin's,
   * the Durable Object path with the memory path.
   */
  reference?: string;
  /**
   * A piece of the API's own code timed back to back in this process, once per run (like
   * naive), for a cost no response can show: the grant lookup from isolate memory.
   */
  local?: { what: string; factory: BaselineFactory };
  /**
   * Its own load loop, warm-up included, instead of autocannon or the turns: for a stateful
   * sequence per client that one repeated request cannot express (`mix` reads its own writes).
   */
  run?: (ctx: BenchContext, concurrency: number, time: { seconds: number; warmupSeconds: number }) => Promise<LoadResult>;
}

export interface Scenario {
  id: ScenarioId;
  /** Requests carry the bearer token. */
  auth: boolean;
  /**
   * Probed once per mode: 404 means "not built yet" and the scenario is skipped. A path is
   * a GET; a function gives requests of other methods (a write needs a real row), where 405
   * also means "not built yet" (the path exists for reads only).
   */
  probe: string | ((ctx: BenchContext) => Promise<HttpRequest[]>);
  /** Runs once per run after a successful probe (find search terms, walk to a deep cursor). */
  prepare?(ctx: BenchContext): Promise<void>;
  /**
   * Throughput is the point (writes): every concurrency runs alone under autocannon, not in
   * turns with the empty route at c1, whose turns would take half of the connection's time.
   */
  alone?: boolean;
  /** Undoes what the scenario wrote; runs after its last variant, also on failure or Ctrl-C. */
  finish?(ctx: BenchContext): Promise<void>;
  variants: Variant[];
}

/**
 * Label of the plain first page measured right before the variants it is compared with
 * (`deep`, `count`): their goals then compare runs seconds apart, not minutes (on a shared
 * 2-core box, latency drifts 1–2 ms over a run).
 */
export const REFERENCE_LABEL = 'first page (reference)';
