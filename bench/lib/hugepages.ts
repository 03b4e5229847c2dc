import { readFileSync, writeFileSync } from 'node:fs';
import { onCleanup } from './cleanup';

/**
 * Huge pages for the bench's Postgres. Every new backend (direct mode opens one per request)
 * maps the shared buffers it touches page by page and unmaps them when it exits; with 4 KB
 * pages that kernel work was about half of the backend's CPU in a perf profile of the
 * appusers request, and 2 MB pages cut a connection-plus-query by 4–6 ms here. PostgreSQL's
 * docs recommend huge pages for large shared_buffers. Reserving them needs root
 * (vm.nr_hugepages); without it the bench runs as before and says so in the results.
 */

const MEMINFO = '/proc/meminfo';
const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';

function meminfo(field: string): number | null {
  try {
    const m = readFileSync(MEMINFO, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** '4GB' / '512MB' / '131072kB' → bytes (the units Postgres prints and accepts). */
export function parseSize(size: string): number | null {
  const m = size.trim().match(/^(\d+)\s*(kB|MB|GB|TB)?$/i);
  if (!m) return null;
  const unit = { kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30, tb: 2 ** 40 }[(m[2] ?? 'kB').toLowerCase()]!;
  return Number(m[1]) * unit;
}

/**
 * Makes sure enough huge pages exist for `sharedBuffers` plus Postgres's other shared memory
 * and returns the huge_pages setting to start Postgres with: 'on' when they are there,
 * 'try' otherwise. Pages it added are given back when the bench's cleanup runs (registered
 * before Postgres starts, so it runs after Postgres has stopped).
 */
export function reserveHugePages(sharedBuffers: string, log: (m: string) => void): 'on' | 'try' {
  const pageKb = meminfo('Hugepagesize');
  const total = meminfo('HugePages_Total');
  const free = meminfo('HugePages_Free');
  const bytes = parseSize(sharedBuffers);
  if (process.platform !== 'linux' || !pageKb || total === null || free === null || !bytes) return 'try';
  // shared_buffers plus headroom for the buffer descriptors, lock tables and the rest.
  const needed = Math.ceil((bytes * 1.08 + 256 * 2 ** 20) / (pageKb * 1024));
  if (free >= needed) return 'on';
  if (process.getuid?.() !== 0) {
    log(`huge pages: ${free} of ${needed} free and not root, so Postgres uses 4 KB pages (direct mode pays for it per connection)`);
    return 'try';
  }
  try {
    writeFileSync(NR_HUGEPAGES, String(total + needed - free));
  } catch (err) {
    log(`huge pages: could not reserve ${needed} (${String(err)}); Postgres uses 4 KB pages`);
    return 'try';
  }
  const got = meminfo('HugePages_Free') ?? 0;
  onCleanup('huge pages', async () => writeFileSync(NR_HUGEPAGES, String(total)));
  if (got < needed) {
    log(`huge pages: the kernel found ${got} of ${needed}; Postgres uses 4 KB pages`);
    return 'try';
  }
  log(`huge pages: reserved ${needed} × ${pageKb / 1024} MB for shared_buffers ${sharedBuffers} (given back at the end)`);
  return 'on';
}
