import { stringify } from 'csv-stringify/sync';
import type { EXPORT_FORMATS } from '../../core/enums';

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
  end(): string;
}

/**
 * CSV (RFC 4180: CRLF, quotes doubled) by csv-stringify, with a header of the projection's names.
 * A text cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so that a
 * spreadsheet shows it instead of running it (formula injection); numbers stay numbers.
 * NULL is an empty cell, booleans `true`/`false`, embedded relations their JSON text.
 */
function csv(columns: readonly string[]): RowFormat {
  const options = {
    columns: columns as string[],
    escape_formulas: true,
    record_delimiter: 'windows' as const,
    // RFC 4180 quotes a field holding any line break, not only the record delimiter (CRLF).
    quoted_match: /[\r\n]/,
    cast: { boolean: (v: boolean) => String(v), object: (v: object) => JSON.stringify(v) },
  };
  return {
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    start: () => stringify([], { ...options, header: true }),
    rows: (rows) => (rows.length ? stringify(rows as Record<string, unknown>[], options) : ''),
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

/** The writer for `format`; CSV needs the projection's column names for its header. */
export function rowFormat(format: ExportFormat, columns: readonly string[]): RowFormat {
  if (format === 'csv') return csv(columns);
  return format === 'ndjson' ? ndjson : json;
}
