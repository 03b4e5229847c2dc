/**
 * Rows as CSV (RFC 4180), PostgREST's `Accept: text/csv`: a header of the selected names in
 * order, then one line per row. NULL is an empty field; embedded relations are their JSON
 * text; a field is quoted when it holds a comma, a quote, a line break or edge whitespace.
 */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (!rows.length) return '';
  const names = Object.keys(rows[0]);
  const lines = [names.map(field).join(',')];
  for (const row of rows) lines.push(names.map((n) => field(row[n])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export type Representation = 'json' | 'object' | 'csv';

const MEDIA: Record<string, Representation> = {
  'application/json': 'json',
  'application/*': 'json',
  '*/*': 'json',
  'application/vnd.pgrst.object+json': 'object',
  'application/vnd.pgrst.object': 'object',
  'text/csv': 'csv',
};

/**
 * What the client's Accept asks for, by its preference (q, then order): JSON, one object
 * (`.single()`), or CSV. No Accept is JSON; an Accept that names none of them is null (406).
 */
export function negotiate(accept: string | undefined): Representation | null {
  if (!accept?.trim()) return 'json';
  const offers = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((o) => o.q > 0 && Object.hasOwn(MEDIA, o.type))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return offers.length ? MEDIA[offers[0].type] : null;
}
