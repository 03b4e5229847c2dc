import { DurableObject } from 'cloudflare:workers';
import { type GenerationAnswer, type OrgGenerations, readGenerations } from '../cache/generations';
import { CACHE_POLICY } from '../cache/isolate';
import { createDb } from '../db/client';
import { type AppEnv, readVars } from '../env';
import { compileGrants } from './grants';
import { createGrantsMemo } from './grants-memo';
import { loadSnapshot } from './snapshot';
import type { OrgSnapshot, UserGrants } from './types';

/**
 * What the stored snapshot's JSON means. Raise it when `OrgSnapshot` changes shape: an object
 * holding an older format then loads afresh from Postgres instead of misreading its storage.
 */
const SNAPSHOT_FORMAT = 1;

/**
 * The snapshot is stored as JSON split over rows: a SQLite-backed object allows 2 MB per row,
 * and an org with tens of thousands of users outgrows one. 256 Ki UTF-16 code units are at most
 * 768 KiB of UTF-8.
 */
const CHUNK_CHARS = 256 * 1024;

const SCHEMA = [
  `create table if not exists snapshot_meta (
     id integer primary key check (id = 1),
     org_id text not null,
     version integer not null,
     format integer not null,
     chunks integer not null,
     loaded_at text not null
   )`,
  'create table if not exists snapshot_chunks (seq integer primary key, part text not null)',
];

/** The org's generations as the object last read them from Postgres, and when (performance.now()). */
interface HeldGenerations {
  orgId: string;
  generations: OrgGenerations;
  readAt: number;
}

/** What the object has done since it started (tests, and `stats()` for anyone debugging an org). */
export interface OrgStats {
  orgId: string | null;
  /** The snapshot's version, or null before the first call. */
  version: number | null;
  /** Snapshots loaded from Postgres by this instance (not counting the one read from its storage). */
  loads: number;
  /** Users whose grants this instance compiled. */
  compiles: number;
  /** RPC calls to grants(). */
  calls: number;
  /** Reads of the org's generations from Postgres. */
  generationReads: number;
}

/**
 * The org's object as its callers see it over RPC. The runtime's RPC types cannot prove
 * `UserGrants` serialisable (a criteria rule's `where` is `unknown`, though always JSON) and
 * type the call as `never`; this states what it returns, in one place.
 */
export interface OrgRpc {
  grants(orgId: string, userId: string, minVersion: number): Promise<UserGrants>;
  version(): Promise<number | null>;
  generations(orgId: string, minGeneration: number): Promise<GenerationAnswer>;
  stats(): Promise<OrgStats>;
}

/** The org's Durable Object: one per org, named by its id. */
export function orgObject(env: AppEnv, orgId: string): OrgRpc {
  return env.ORG.get(env.ORG.idFromName(orgId)) as unknown as OrgRpc;
}

/**
 * The org's Durable Object (one per org: `env.ORG.idFromName(orgId)`): it holds the org's
 * sharing snapshot, in memory and in its SQLite storage, and compiles each user's grants from
 * it, once per user and version. Workers call it only when the org's sharing version moved past
 * what their isolate holds (access.ts), so a hot org costs it one call per change and isolate,
 * not one per request. Postgres is read only when the caller knows of a newer version than the
 * object holds; a restarted object answers from its storage.
 */
export class OrgDO extends DurableObject<AppEnv> {
  /** undefined: storage not read yet; null: nothing stored. */
  #snapshot: OrgSnapshot | null | undefined;
  /** Compiled grants by user, for `#snapshot`'s version only (cleared when it changes). */
  readonly #grants = createGrantsMemo(CACHE_POLICY.orgGrants);
  /** A load from Postgres in flight: concurrent callers wait for it instead of starting their own. */
  #loading: Promise<OrgSnapshot> | null = null;
  readonly #stats: Omit<OrgStats, 'orgId' | 'version'> = { loads: 0, compiles: 0, calls: 0, generationReads: 0 };
  /** The org's generations as last read from Postgres, and when (performance.now()). */
  #generations: HeldGenerations | null = null;
  /** A read of the generations in flight: concurrent callers share it (one object, one context). */
  #readingGenerations: Promise<HeldGenerations> | null = null;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    // Synchronous SQL: nothing can interleave before the tables exist.
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  /**
   * The user's grants compiled from a snapshot at `minVersion` or newer (the version the caller
   * just read from `org_generations.sharing_version`). `orgId` must be the org this object was
   * named for: an object never answers for another org.
   */
  async grants(orgId: string, userId: string, minVersion: number): Promise<UserGrants> {
    this.#stats.calls++;
    const snapshot = await this.#snapshotAtLeast(orgId, minVersion);
    const memo = this.#grants.get(userId);
    if (memo && memo.version >= snapshot.version) return memo;
    const compiled = await compileGrants(snapshot, userId);
    this.#stats.compiles++;
    // A newer snapshot may have arrived while compiling: keep only grants of the current one.
    if (this.#snapshot === snapshot) this.#grants.set(userId, compiled);
    return compiled;
  }

  /**
   * The org's generations for the isolates' read tiers (src/cache/generations.ts): the copy held
   * here while it is younger than GENERATION_SYNC_MS and at least `minGeneration`, else read
   * from Postgres again (one statement; concurrent callers share the read). With the answer goes
   * its age, so an isolate's copy expires by when Postgres had it, not by when it arrived. Held
   * in memory only: a restarted object reads Postgres once.
   */
  async generations(orgId: string, minGeneration: number): Promise<GenerationAnswer> {
    const syncMs = readVars(this.env).GENERATION_SYNC_MS;
    const fresh = (g: HeldGenerations | null) => (g && performance.now() - g.readAt < syncMs && g.generations.generation >= minGeneration ? g : null);
    if (this.#generations && this.#generations.orgId !== orgId) throw new Error(`OrgDO of org ${this.#generations.orgId} asked about org ${orgId}`);
    let held = fresh(this.#generations);
    // A read already in flight serves, unless it started before what the caller knows of.
    if (!held && this.#readingGenerations) held = fresh(await this.#readingGenerations);
    if (!held) held = await this.#readGenerations(orgId);
    return { generations: held.generations, ageMs: Math.max(0, performance.now() - held.readAt) };
  }

  #readGenerations(orgId: string): Promise<HeldGenerations> {
    const reading = (async () => {
      const readAt = performance.now();
      const generations = await this.#withDb(orgId, (db) => readGenerations(db, orgId));
      this.#stats.generationReads++;
      const read = { orgId, generations, readAt };
      if (!this.#generations || this.#generations.generations.generation <= generations.generation) this.#generations = read;
      return read;
    })();
    this.#readingGenerations = reading;
    const clear = () => {
      if (this.#readingGenerations === reading) this.#readingGenerations = null;
    };
    reading.then(clear, clear);
    return reading;
  }

  /** A connection of the object's own for `run`, closed after it. */
  async #withDb<T>(orgId: string, run: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
    const vars = readVars(this.env);
    const db = createDb(this.env, (msg, extra) => console.error(JSON.stringify({ level: 'error', msg, orgId, ...extra })), {
      connectTimeoutMs: vars.CONNECT_TIMEOUT_MS,
    });
    try {
      return await run(db);
    } finally {
      await db.close();
    }
  }

  /** The held snapshot's version (memory or storage), or null when the object holds none. */
  version(): number | null {
    return this.#current()?.version ?? null;
  }

  stats(): OrgStats {
    const current = this.#current();
    return { orgId: current?.orgId ?? null, version: current?.version ?? null, ...this.#stats };
  }

  async #snapshotAtLeast(orgId: string, minVersion: number): Promise<OrgSnapshot> {
    const held = this.#current();
    if (held && held.orgId !== orgId) throw new Error(`OrgDO of org ${held.orgId} asked about org ${orgId}`);
    if (held && held.version >= minVersion) return held;
    // One load at a time. A load that started before this caller read its version may predate
    // it: when its result is still older, load once more (that one started after).
    const pending = this.#loading;
    if (pending) {
      const loaded = await pending;
      if (loaded.version >= minVersion) return loaded;
    }
    const loaded = await (this.#loading ?? this.#load(orgId));
    if (loaded.version < minVersion) {
      // Postgres holds an older version than the caller read from it: nothing newer to load.
      console.error(JSON.stringify({ level: 'warn', msg: 'sharing snapshot older than asked for', orgId, version: loaded.version, minVersion }));
    }
    return loaded;
  }

  #load(orgId: string): Promise<OrgSnapshot> {
    const loading = (async () => {
      const snapshot = await this.#withDb(orgId, (db) => loadSnapshot(db, orgId));
      this.#stats.loads++;
      this.#store(snapshot);
      return snapshot;
    })();
    this.#loading = loading;
    // Cleared whether it succeeded or not: the next caller retries a failed load.
    loading.then(
      () => this.#clearLoading(loading),
      () => this.#clearLoading(loading),
    );
    return loading;
  }

  #clearLoading(loading: Promise<OrgSnapshot>): void {
    if (this.#loading === loading) this.#loading = null;
  }

  /** The snapshot in memory, read from storage on first use. */
  #current(): OrgSnapshot | null {
    if (this.#snapshot === undefined) this.#snapshot = this.#read();
    return this.#snapshot;
  }

  /** Keeps a loaded snapshot unless the one held is newer (two loads may finish out of order). */
  #store(snapshot: OrgSnapshot): void {
    const held = this.#current();
    if (held && held.version > snapshot.version) return;
    this.#snapshot = snapshot;
    this.#grants.clear();
    const json = JSON.stringify(snapshot);
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec('delete from snapshot_chunks');
      let chunks = 0;
      for (let at = 0; at < json.length; at += CHUNK_CHARS)
        sql.exec('insert into snapshot_chunks (seq, part) values (?, ?)', chunks++, json.slice(at, at + CHUNK_CHARS));
      sql.exec(
        `insert or replace into snapshot_meta (id, org_id, version, format, chunks, loaded_at) values (1, ?, ?, ?, ?, ?)`,
        snapshot.orgId,
        snapshot.version,
        SNAPSHOT_FORMAT,
        chunks,
        new Date().toISOString(),
      );
    });
  }

  /** The stored snapshot, or null when there is none (or it is of another format or incomplete). */
  #read(): OrgSnapshot | null {
    const sql = this.ctx.storage.sql;
    const meta = sql.exec<{ version: number; format: number; chunks: number }>('select version, format, chunks from snapshot_meta where id = 1').toArray()[0];
    if (!meta || meta.format !== SNAPSHOT_FORMAT) return null;
    const parts = sql.exec<{ part: string }>('select part from snapshot_chunks order by seq').toArray();
    if (parts.length !== meta.chunks) return null;
    const snapshot = JSON.parse(parts.map((p) => p.part).join('')) as OrgSnapshot;
    return snapshot.version === meta.version ? snapshot : null;
  }
}
