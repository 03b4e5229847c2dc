import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client';
import type { Clock } from './isolate';

/**
 * An org's generations, as `org_generations` holds them (src/write/generation.ts raises them
 * after every committed write). Read tiers key an answer by the generation of the resources it
 * reads (DESIGN §6), so an entry written before a change is never found after a reader has
 * learnt of the change.
 */
export interface OrgGenerations {
  /** Raised by every committed write: what a write answers as `X-Generation`. */
  generation: number;
  /** Raised by writes that change anyone's access (src/sharing/snapshot.ts). */
  sharingVersion: number;
  /** Per resource, the generation at which a write last changed it; absent: 0 (never since recorded). */
  changed: Record<string, number>;
}

/** What a generation source answers: the generations and how long ago they were read from Postgres. */
export interface GenerationAnswer {
  generations: OrgGenerations;
  ageMs: number;
}

/** The generation that keys an answer reading `resources` (embeds included): the latest change to any of them. */
export function generationFor(g: OrgGenerations, resources: Iterable<string>): number {
  let out = 0;
  for (const r of resources) out = Math.max(out, Object.hasOwn(g.changed, r) ? g.changed[r] : 0);
  return out;
}

const GENERATIONS_SQL = `select generation::text as generation, sharing_version::text as sharing_version, changed
  from org_generations where org_id = $1`;

/** The org's generations from Postgres, the source of truth (an org never written to: all 0). */
export async function readGenerations(db: Db, orgId: string): Promise<OrgGenerations> {
  const { rows } = await db.query<{ generation: string; sharing_version: string; changed: Record<string, number> }>(GENERATIONS_SQL, [orgId]);
  const row = rows[0];
  if (!row) return { generation: 0, sharingVersion: 0, changed: {} };
  return { generation: Number(row.generation), sharingVersion: Number(row.sharing_version), changed: row.changed ?? {} };
}

/** Where a reading came from: this isolate's copy, or the org's Durable Object (Server-Timing, meta). */
export type GenerationSource = 'memory' | 'durable-object';

export interface GenerationReading {
  generations: OrgGenerations;
  /** How long ago the generations were read from Postgres (by the object, then held here). */
  ageMs: number;
  source: GenerationSource;
}

export interface GenerationClock {
  /**
   * The org's generations, no older than the clock's bound since Postgres had them, and at least
   * `minGeneration` when Postgres has that (a client's `X-Min-Generation`). From this isolate's
   * copy when it qualifies; otherwise `fetch` (the org's Durable Object) is asked.
   */
  read(orgId: string, opts?: { minGeneration?: number }): Promise<GenerationReading>;
}

const written = new LRUCache<string, number>({ max: 10_000 });

/**
 * A write committed through this isolate (src/write/records.ts): its later readers here must not
 * read from before it, as if they had sent its `X-Min-Generation`. So a client that stays on one
 * isolate reads its writes without the header.
 */
export function noteWrite(orgId: string, generation: number): void {
  if ((written.get(orgId) ?? 0) < generation) written.set(orgId, generation);
}

/** The latest generation a write through this isolate answered, for the org (0 if none). */
export function writtenGeneration(orgId: string): number {
  return written.get(orgId) ?? 0;
}

export interface GenerationClockOptions {
  /** The staleness bound: a copy older than this (since Postgres had it) is not used. */
  maxAgeMs: number;
  /** Asks the org's Durable Object (or, in tests, anything else) for generations at least `minGeneration`. */
  fetch: (orgId: string, minGeneration: number) => Promise<GenerationAnswer>;
  /** Tests bring their own; production uses performance.now(). */
  clock?: Clock;
  /** Orgs remembered per isolate. */
  max?: number;
  /** A generation every read must reach regardless of the caller's (writes through this isolate: `writtenGeneration`). */
  floor?: (orgId: string) => number;
}

/**
 * An isolate's copies of its orgs' generations. A copy's age counts from when Postgres had it
 * (the object says how old its answer is), so whatever the object and the isolate add up to,
 * no reading is older than `maxAgeMs`: the documented staleness bound of the read tiers.
 * Concurrent misses are not merged: each asks for itself (a Durable Object call belongs to the
 * request that made it; see src/sharing/access.ts), and the newest answer is kept.
 */
export function createGenerationClock(options: GenerationClockOptions): GenerationClock {
  const clock = options.clock ?? { now: () => performance.now() };
  const held = new LRUCache<string, { generations: OrgGenerations; readAt: number }>({ max: options.max ?? 10_000 });
  return {
    async read(orgId, opts = {}) {
      const min = Math.max(opts.minGeneration ?? 0, options.floor?.(orgId) ?? 0);
      const copy = held.get(orgId);
      if (copy) {
        const ageMs = clock.now() - copy.readAt;
        if (ageMs < options.maxAgeMs && copy.generations.generation >= min) return { generations: copy.generations, ageMs, source: 'memory' };
      }
      const answer = await options.fetch(orgId, min);
      const readAt = clock.now() - answer.ageMs;
      const now = held.get(orgId);
      // Never replace a newer copy (another request's answer may have landed meanwhile).
      if (
        !now ||
        now.generations.generation < answer.generations.generation ||
        (now.generations.generation === answer.generations.generation && now.readAt < readAt)
      )
        held.set(orgId, { generations: answer.generations, readAt });
      return { generations: answer.generations, ageMs: answer.ageMs, source: 'durable-object' };
    },
  };
}
