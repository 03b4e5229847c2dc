import { z } from '@hono/zod-openapi';
import { AppError } from '../../core/errors';
import type { ListRequest } from '../../query/ast';
import { parseQueryBody } from '../../query/parse-json';
import type { FieldDef, ResourceDef } from '../../query/resource';
import { CATALOG } from '../registry';
import { FACETS } from './facet-defs';

/**
 * A report (issue 26 §6, decision 0052): measures over a resource's rows grouped by dimensions,
 * under a filter in the JSON dialect. Every name is checked against the resource's whitelist;
 * the statements are built from the checked definition only (column names from the catalog,
 * values as parameters).
 */

export const REPORT_RESOURCES = Object.keys(FACETS) as [string, ...string[]];
const BUCKETS = ['day', 'week', 'month', 'quarter', 'year'] as const;
type Bucket = (typeof BUCKETS)[number];
const FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max'] as const;

const Measure = z
  .strictObject({
    fn: z.enum(FUNCTIONS),
    field: z.string().max(64).optional().openapi({ description: 'Required except for count: a number field (sum, avg) or a number or date field (min, max)' }),
  })
  .openapi('ReportMeasure');
const Dimension = z
  .union([
    z.string().max(64).openapi({ description: 'A field with few values: an enum, a reference (owner_id, stage_id…), a boolean' }),
    z
      .strictObject({ field: z.string().max(64), bucket: z.enum(BUCKETS) })
      .openapi({ description: 'A date or time field by day, week (ISO), month, quarter or year (UTC)' }),
  ])
  .openapi('ReportDimension');

export const ReportDefinition = z
  .strictObject({
    resource: z.enum(REPORT_RESOURCES),
    measures: z.array(Measure).min(1).max(10),
    dimensions: z.array(Dimension).max(3).default([]),
    where: z.unknown().optional().openapi({ description: 'A filter tree of the JSON dialect, as POST /v1/{resource}/query takes' }),
    q: z.string().max(200).optional().openapi({ description: 'A search, as the lists’ `q`' }),
    limit: z.int().min(1).max(5000).default(1000).openapi({ description: 'Most groups returned (default 1000); `truncated` says when there were more' }),
  })
  .openapi('ReportDefinition');
export type ReportDefinition = z.infer<typeof ReportDefinition>;

const NUMBER = new Set(['int', 'numeric']);
const ORDERED = new Set(['int', 'numeric', 'date', 'timestamp']);
const TIME = new Set(['date', 'timestamp']);
const GROUPABLE = new Set(['enum', 'uuid', 'bool']);

export interface CheckedDimension {
  name: string;
  /** SQL over the resource's alias, as text. */
  sql: string;
}
export interface CheckedMeasure {
  name: string;
  fn: (typeof FUNCTIONS)[number];
  /** The column over the resource's alias; undefined for count. */
  column?: string;
  /** The SQL type partial values are read back as from a rollup (numeric, date, timestamptz). */
  type: 'numeric' | 'date' | 'timestamptz';
}
export interface CheckedReport {
  resource: ResourceDef;
  dimensions: CheckedDimension[];
  measures: CheckedMeasure[];
  /** The filter and search as a list request (checked again by the list compiler). */
  req: ListRequest;
  limit: number;
}

const fail = (path: string, message: string): never => {
  throw new AppError('invalid_body', `${path}: ${message}.`, [{ path, message }]);
};

function fieldOf(resource: ResourceDef, name: string, path: string): FieldDef {
  const f = Object.hasOwn(resource.fields, name) ? resource.fields[name] : undefined;
  if (!f || f.internal) return fail(path, `${resource.name} has no field ${JSON.stringify(name)}`);
  return f;
}

const BUCKET_SQL: Record<Bucket, string> = { day: 'YYYY-MM-DD', week: 'IYYY-"W"IW', month: 'YYYY-MM', quarter: 'YYYY-"Q"Q', year: 'YYYY' };

/** The definition checked against the resource's whitelist, or a 400 naming what is wrong. */
export function checkReport(def: ReportDefinition): CheckedReport {
  const resource = CATALOG[def.resource];
  const a = resource.alias;
  const names = new Set<string>();
  const named = (name: string, path: string) => {
    if (names.has(name)) fail(path, `${JSON.stringify(name)} appears twice`);
    names.add(name);
    return name;
  };
  const dimensions = def.dimensions.map((d, i): CheckedDimension => {
    const path = `dimensions[${i}]`;
    if (typeof d === 'string') {
      const f = fieldOf(resource, d, path);
      const text = f.type === 'text' && (f.repeats || Object.hasOwn(FACETS[resource.name], d));
      if (!GROUPABLE.has(f.type) && !text) fail(path, `${d} has too many values to group by; group a date by a bucket`);
      if (d === 'id') fail(path, 'id has too many values to group by');
      return { name: named(d, path), sql: `${a}.${f.column}::text` };
    }
    const f = fieldOf(resource, d.field, `${path}.field`);
    if (!TIME.has(f.type)) fail(`${path}.field`, `${d.field} is not a date or time`);
    const utc = f.type === 'timestamp' ? `(${a}.${f.column} at time zone 'UTC')` : `${a}.${f.column}`;
    return { name: named(`${d.field}_${d.bucket}`, path), sql: `to_char(${utc}, '${BUCKET_SQL[d.bucket]}')` };
  });
  const measures = def.measures.map((m, i): CheckedMeasure => {
    const path = `measures[${i}]`;
    if (m.fn === 'count') {
      if (m.field !== undefined) fail(`${path}.field`, 'count counts rows: no field');
      return { name: named('count', path), fn: 'count', type: 'numeric' };
    }
    if (m.field === undefined) return fail(`${path}.field`, `${m.fn} needs a field`);
    const f = fieldOf(resource, m.field, `${path}.field`);
    const allowed = m.fn === 'sum' || m.fn === 'avg' ? NUMBER : ORDERED;
    if (!allowed.has(f.type))
      fail(`${path}.field`, `${m.fn} takes a ${m.fn === 'sum' || m.fn === 'avg' ? 'number' : 'number or date'} field; ${m.field} is ${f.type}`);
    const type = f.type === 'date' ? 'date' : f.type === 'timestamp' ? 'timestamptz' : 'numeric';
    return { name: named(`${m.fn}_${m.field}`, path), fn: m.fn, column: `${a}.${f.column}`, type };
  });
  const req = parseQueryBody({ ...(def.where === undefined ? {} : { where: def.where }), ...(def.q === undefined ? {} : { q: def.q }) });
  return { resource, dimensions, measures, req, limit: def.limit };
}

/** The measures' final values over rows (`live`), as text (exact decimals, dates as Postgres writes them). */
export function measureSql(m: CheckedMeasure): string {
  switch (m.fn) {
    case 'count':
      return 'count(*)::bigint::text';
    case 'avg':
      return `round(avg(${m.column}), 4)::text`;
    default:
      return `${m.fn}(${m.column})::text`;
  }
}

/** The partial values a rollup keeps per owner and group: what sums across owners into the final value. */
export function partialSql(m: CheckedMeasure): string[] {
  switch (m.fn) {
    case 'count':
      return ['count(*)'];
    case 'avg':
      return [`sum(${m.column})`, `count(${m.column})`];
    default:
      return [`${m.fn}(${m.column})`];
  }
}

/** The final value from the partials at `at` (their index in the cell's jsonb array `measures`), summed over cells. */
export function foldSql(m: CheckedMeasure, at: number): string {
  const v = (i: number, type: string = m.type) => `(measures->>${i})::${type}`;
  switch (m.fn) {
    case 'count':
      return `sum(${v(at)})::bigint::text`;
    case 'sum':
      return `sum(${v(at)})::text`;
    case 'avg':
      return `round(sum(${v(at)}) / nullif(sum(${v(at + 1)}), 0), 4)::text`;
    default:
      return `${m.fn}(${v(at)})::text`;
  }
}
