import type { Context } from 'hono';
import type { AppContext } from '../http/context';
import type { ListResult } from '../query/execute';
import type { Page } from './schema';

/** PostgREST-style Content-Range of `rows` rows from `start`: `first-last/total` (`*` for an unknown total). */
export function rangeHeader(start: number, rows: number, total: number | undefined): string {
  const of = total === undefined ? '*' : String(total);
  return rows ? `${start}-${start + rows - 1}/${of}` : `*/${of}`;
}

/** The Content-Range of a list's page. */
export function contentRange(result: ListResult): string {
  return rangeHeader(result.page.offset ?? 0, result.rows.length, result.count?.value);
}

/** The /v1 envelope: data, page, count, meta (DESIGN §5.4), as its schema (`ContactsPage`, …) says. */
export function renderList(c: Context<AppContext>, result: ListResult, startedAt: number): Page {
  const { db } = c.var.services;
  c.header('Content-Range', contentRange(result));
  return {
    data: result.rows,
    page: result.page,
    ...(result.count ? { count: result.count } : {}),
    meta: {
      requestId: c.var.requestId,
      tier: 'db',
      stale: false,
      ageMs: 0,
      queryMs: Math.round(db.stats.ms * 100) / 100,
      totalMs: Math.round((performance.now() - startedAt) * 100) / 100,
      queries: db.stats.queries,
      ...(result.search ? { searchMode: result.search } : {}),
    },
  };
}

/** A list's small parts as the read tiers hold them beside its rows' JSON (src/resources/tiers.ts). */
export type ListInfo = {
  page: ListResult['page'];
  /** The user the stored next-page cursor is signed for (a cursor is bound to its user). */
  signedFor?: string;
  rows: number;
  count?: ListResult['count'];
  search?: ListResult['search'];
};

/** A list result as a tier entry's parts: its rows as JSON text, the rest as ListInfo. */
export function listParts(result: ListResult, signedFor: string): { text: string; info: ListInfo } {
  return {
    text: JSON.stringify(result.rows),
    info: {
      page: result.page,
      signedFor,
      rows: result.rows.length,
      ...(result.count ? { count: result.count } : {}),
      ...(result.search ? { search: result.search } : {}),
    },
  };
}

/** The Content-Range of a list held as ListInfo. */
export function infoRange(info: ListInfo): string {
  return rangeHeader(info.page.offset ?? 0, info.rows, info.count?.value);
}
