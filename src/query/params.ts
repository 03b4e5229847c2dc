/**
 * Bound parameters for one statement. User input only ever becomes a `$n` placeholder;
 * the tenant id is always `$1`, added first, so every statement carries the org predicate.
 */
export class Params {
  readonly values: unknown[] = [];

  constructor(orgId: string) {
    this.values.push(orgId);
  }

  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * Takes in a fragment compiled with Params of its own (a list plan's `fromWhere` and its
   * values, $1 the same org): its values follow these, and its placeholders after $1 are
   * renumbered to match. Sound because compiled SQL holds `$` only in placeholders: values
   * never enter the text. Two resources' access conditions then share one statement.
   */
  adopt(sql: string, values: readonly unknown[]): string {
    if (values[0] !== this.values[0]) throw new Error('a fragment of another org (or not numbered from $1 = the org)');
    const shift = this.values.length - 1;
    this.values.push(...values.slice(1));
    return shift ? sql.replace(/\$(\d+)/g, (whole, n: string) => (n === '1' ? whole : `$${Number(n) + shift}`)) : sql;
  }
}

/** The tenant wall: the predicate every statement on a tenant table starts with. */
export function orgPredicate(alias: string): string {
  return `${alias}.org_id = $1`;
}

/**
 * A tsquery tagged with the caller's org, to match the org-tagged `search` tsvectors
 * (migration 0005): the GIN index then reads only this org's postings.
 */
export function orgTsquery(query: string): string {
  return `crm_org_tsquery($1::uuid, ${query})`;
}

/** A timestamptz rendered as ISO 8601 UTC (`…Z`), the same whatever the session time zone. */
export function isoSql(expr: string): string {
  return `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
