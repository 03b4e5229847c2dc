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
