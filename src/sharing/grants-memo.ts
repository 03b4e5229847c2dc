import { LRUCache } from 'lru-cache';
import type { UserGrants } from './types';

/** Compiled grants kept in memory, least recently used first out, bounded in entries and in approximate bytes. */
export interface GrantsMemo {
  get(key: string): UserGrants | undefined;
  set(key: string, grants: UserGrants): void;
  clear(): void;
}

/**
 * A manager's grants list every report's id, an admin's almost nothing: the entry count alone
 * does not bound memory, so each entry weighs its JSON length (measured once, when stored).
 */
export function createGrantsMemo(policy: { max: number; maxBytes: number }): GrantsMemo {
  const lru = new LRUCache<string, UserGrants>({
    max: policy.max,
    maxSize: policy.maxBytes,
    sizeCalculation: (grants) => Math.max(1, JSON.stringify(grants).length),
  });
  return {
    get: (key) => lru.get(key),
    set: (key, grants) => void lru.set(key, grants),
    clear: () => lru.clear(),
  };
}
