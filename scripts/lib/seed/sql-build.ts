// Small builders for the shape every bulk statement shares:
//   INSERT INTO t (cols) SELECT exprs FROM (fenced levels over generate_series) ORDER BY pk
// `OFFSET 0` fences a level so values used several times above it are computed once.
// Rows are sorted by primary key within a chunk: inserting random UUIDs in key order
// touches each primary-key page once instead of jumping around the index.

export function insertSelect(table: string, cols: Record<string, string>, from: string, orderBy?: string): string {
  const names = Object.keys(cols).join(', ');
  const exprs = Object.entries(cols).map(([name, expr]) => `${expr} AS ${name}`).join(',\n  ');
  return `INSERT INTO ${table} (${names})\nSELECT ${exprs}\nFROM ${from}${orderBy ? `\nORDER BY ${orderBy}` : ''}`;
}

/** A fenced level: `(SELECT keep, exprs FROM from [WHERE where] OFFSET 0) alias`. */
export function level(alias: string, keep: string, from: string, cols: Record<string, string>, where?: string): string {
  const list = [keep, ...Object.entries(cols).map(([name, expr]) => `${expr} AS ${name}`)].join(',\n    ');
  return `(SELECT ${list}\n  FROM ${from}${where ? `\n  WHERE ${where}` : ''}\n  OFFSET 0) ${alias}`;
}

export function series(lo: number, hi: number, alias = 'i'): string {
  return `generate_series(${lo}::int8, ${hi}::int8) AS ${alias}`;
}
