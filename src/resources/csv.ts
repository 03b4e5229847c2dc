import Papa from 'papaparse';

/**
 * Rows as CSV (RFC 4180), PostgREST's `Accept: text/csv`, by Papa Parse: a header of the
 * selected names in order, then one line per row (CRLF). NULL is an empty field; embedded
 * relations are their JSON text; a field is quoted when it holds a comma, a quote, a line
 * break or edge whitespace. No formula escaping here: PostgREST sends values as they are
 * (exports escape them: src/resources/exports/formats.ts).
 */
/** A CSV cell: embedded relations (objects, arrays) as their JSON text, anything else as it is. */
export const csvCell = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (!rows.length) return '';
  const fields = Object.keys(rows[0]);
  const data = rows.map((row) => fields.map((f) => csvCell(row[f])));
  return `${Papa.unparse({ fields, data }, { newline: '\r\n' })}\r\n`;
}
