import Papa from 'papaparse';
import type { EXPORT_FORMATS } from '../../core/enums';
import { csvCell } from '../csv';

export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * How an export's rows become text, page by page, so that the pages of a job written in
 * several invocations concatenate into one document: `start` once, `rows` per page (`first`
 * for the first page), `end` once.
 */
export interface RowFormat {
  contentType: string;
  extension: string;
  start(): string;
  rows(rows: ReadonlyArray<Record<string, unknown>>, first: boolean): string;
  /**
   * CSV only: rows as arrays of their values in the columns' order (listArrays), no object per
   * row. Values past the columns (listArrays' own order keys) are not written.
   */
  arrays?(rows: ReadonlyArray<readonly unknown[]>): string;
  end(): string;
}

/**
 * CSV (RFC 4180: CRLF, quotes doubled, any field holding a quote, comma or line break quoted) by
 * Papa Parse, with a header of the projection's names. A text cell starting with `=`, `+`, `-`,
 * `@`, tab or CR is prefixed with `'` (and quoted) so that a spreadsheet shows it instead of
 * running it (formula injection); numbers stay numbers. NULL is an empty cell, booleans
 * `true`/`false`. (Papa Parse over arrays: about 3 × faster than csv-stringify here.)
 */
function csv(columns: readonly string[], embeds: boolean): RowFormat {
  const options = { escapeFormulae: true, newline: '\r\n', header: false };
  const fields = [...columns];
  return {
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    // With no data, Papa Parse ends the header line with the newline itself.
    start: () => Papa.unparse({ fields, data: [] }, { ...options, header: true }),
    rows: (rows) => (rows.length ? `${Papa.unparse({ fields, data: rows.map((r) => fields.map((f) => csvCell(r[f]))) }, options)}\r\n` : ''),
    // Only embedded relations are objects (written as JSON); without them the rows go in as they
    // are, not copied. Rows holding more values than columns (order keys) go in with the fields,
    // of which Papa Parse writes as many values; rows of the columns alone go in without (Papa
    // Parse then skips an Object.keys per row).
    arrays: (rows) => {
      if (!rows.length) return '';
      const data = embeds ? rows.map((r) => r.map(csvCell)) : (rows as unknown[][]);
      return `${rows[0].length > fields.length ? Papa.unparse({ fields, data }, options) : Papa.unparse(data, options)}\r\n`;
    },
    end: () => '',
  };
}

/** One JSON object per line. */
const ndjson: RowFormat = {
  contentType: 'application/x-ndjson',
  extension: 'ndjson',
  start: () => '',
  rows: (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
  end: () => '',
};

/** One JSON array (rows separated by `,\n`). */
const json: RowFormat = {
  contentType: 'application/json',
  extension: 'json',
  start: () => '[',
  rows: (rows, first) => (rows.length ? `${first ? '\n' : ',\n'}${rows.map((r) => JSON.stringify(r)).join(',\n')}` : ''),
  end: () => '\n]\n',
};

/** The writer for `format`; CSV needs the projection's column names for its header, and whether it embeds relations (objects). */
export function rowFormat(format: ExportFormat, columns: readonly string[], embeds = true): RowFormat {
  if (format === 'csv') return csv(columns, embeds);
  return format === 'ndjson' ? ndjson : json;
}
