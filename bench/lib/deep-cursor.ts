import type { BenchContext } from './context';

/** About 1M rows deep, or two thirds into the largest org when it is smaller than that. */
export function deepTarget(ctx: BenchContext): number {
  return Math.min(1_000_000, Math.floor((ctx.dataset.largest_org_contacts * 2) / 3));
}

/** Rows of a list response, whatever the envelope calls them. */
function rowCount(body: Record<string, unknown>): number {
  for (const key of ['data', 'rows', 'results', 'items']) {
    if (Array.isArray(body[key])) return (body[key] as unknown[]).length;
  }
  throw new Error(`cannot find the rows in the list response (keys: ${Object.keys(body).join(', ')})`);
}

function nextCursor(body: Record<string, unknown>): string | null {
  const page = body.page as { nextCursor?: string | null } | undefined;
  return page?.nextCursor ?? (body.nextCursor as string | null | undefined) ?? null;
}

/**
 * Walks the default order in pages of 1000 ids, as a client would, to a cursor ~1M rows deep.
 * The cursor binds the query's shape (filters, order, search), not its limit or select, so
 * the measured request can ask for a normal 25-row page from there.
 */
export async function walkToDeepCursor(ctx: BenchContext): Promise<void> {
  if (ctx.found.has('deep.cursor')) return;
  const target = deepTarget(ctx);
  const headers = { Authorization: `Bearer ${ctx.token}` };
  let cursor: string | null = null;
  let depth = 0;
  let lastLog = Date.now();
  while (depth < target) {
    const step = Math.min(1000, target - depth);
    const url = `${ctx.baseUrl}/v1/contacts?limit=${step}&select=id${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`deep walk: GET ${url.replace(ctx.baseUrl, '')} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as Record<string, unknown>;
    depth += rowCount(body);
    cursor = nextCursor(body);
    if (!cursor) break;
    if (Date.now() - lastLog > 10_000) {
      ctx.log(`deep: walked ${depth.toLocaleString('en')} of ${target.toLocaleString('en')} rows…`);
      lastLog = Date.now();
    }
  }
  if (!cursor) throw new Error(`deep walk: the list ended after ${depth} rows, before ${target}`);
  ctx.found.set('deep.cursor', cursor);
  ctx.found.set('deep.depth', String(depth));
}
