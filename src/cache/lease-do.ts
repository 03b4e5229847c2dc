import { DurableObject } from 'cloudflare:workers';

/**
 * Leases for work that must not run twice at once (wrangler.toml: binding LEASES, one object per
 * lease name): a cron run that overlaps the previous one, or two data centres firing the same
 * trigger. A Durable Object is single-threaded, so acquire is atomic; a holder that dies
 * leaves a lease that lapses after its TTL. Held in the object's SQLite-backed storage, so a
 * restart of the object keeps it.
 */
export class LeaseDO extends DurableObject {
  /** Takes the lease for `holder` if it is free or lapsed; true when `holder` now holds it. */
  async acquire(holder: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const held = await this.ctx.storage.get<{ holder: string; until: number }>('lease');
    if (held && held.holder !== holder && held.until > now) return false;
    await this.ctx.storage.put('lease', { holder, until: now + ttlMs });
    return true;
  }

  /** Gives the lease back, if `holder` still holds it. */
  async release(holder: string): Promise<void> {
    const held = await this.ctx.storage.get<{ holder: string; until: number }>('lease');
    if (held?.holder === holder) await this.ctx.storage.delete('lease');
  }
}
