import type { Context } from 'hono';
import type { AppContext } from '../http/context';
import type { ListResult } from '../query/list';

/** PostgREST-style Content-Range: `first-last/total` (`*` when the total was not asked for). */
export function contentRange(result: ListResult): string {
  const start = result.page.offset ?? 0;
  const total = result.count ? String(result.count.value) : '*';
  return result.rows.length ? `${start}-${start + result.rows.length - 1}/${total}` : `*/${total}`;
}

/** The /v1 envelope: data, page, count, meta (DESIGN §5.4). */
export function renderList(c: Context<AppContext>, result: ListResult, startedAt: number) {
  const { db } = c.var.services;
  c.header('Content-Range', contentRange(result));
  return {
    data: result.rows,
    page: result.page,
    ...(result.count ? { count: result.count } : {}),
    meta: {
      requestId: c.var.requestId,
      tier: 'db' as const,
      stale: false,
      ageMs: 0,
      queryMs: Math.round(db.stats.ms * 100) / 100,
      totalMs: Math.round((performance.now() - startedAt) * 100) / 100,
      queries: db.stats.queries,
      ...(result.search ? { searchMode: result.search } : {}),
    },
  };
}
