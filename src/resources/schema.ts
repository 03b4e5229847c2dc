import { z } from '@hono/zod-openapi';
import type { CountMethod } from '../query/count';
import { type Catalog, type FieldDef, type FieldType, type ResourceDef, relationTarget } from '../query/resource';
import type { SearchPlan } from '../query/search';
import { CATALOG, RESOURCES } from './registry';

/**
 * Response contracts built from the resource declarations, so /openapi.json documents every
 * field without a second hand-kept list. Every property is optional: `select` narrows and
 * renames the projection, and a `required` list would be false for those answers
 * (docs/decisions/0035-typed-row-contracts.md).
 */

/** A row as the API renders it: JSON keys are the projection's names (aliases included). */
export type Row = Record<string, unknown>;

/** Each field type as `renderSql` (src/query/select.ts) turns it into JSON. */
const SCALARS: Record<FieldType, (f: FieldDef) => z.ZodType> = {
  // Postgres' uuid: any 128-bit value in 8-4-4-4-12 hex (no RFC version check); documented as format uuid.
  uuid: () => z.guid(),
  text: () => z.string(),
  enum: (f) => {
    if (!f.values?.length) throw new Error(`enum field "${f.column}" declares no values`);
    return z.enum(f.values);
  },
  int: () => z.int(),
  numeric: () => z.string().openapi({ format: 'decimal', example: '1234.50' }),
  bool: () => z.boolean(),
  date: () => z.iso.date(),
  timestamp: () => z.iso.datetime().openapi({ example: '2025-01-31T09:30:00.000000Z' }),
  // Always `internal` today (never rendered); mapped for completeness: Postgres prints it as text.
  tsvector: () => z.string(),
};

/** What a client should know beyond the JSON type. */
const NOTES: Partial<Record<FieldType, string>> = {
  numeric: 'An exact decimal, as a string (no float rounding).',
  date: 'YYYY-MM-DD.',
  timestamp: 'ISO-8601 in UTC, with microseconds.',
};

function fieldSchema(name: string, f: FieldDef, inDefault: boolean, embedded: boolean) {
  const scalar = SCALARS[f.type](f);
  const typed = f.nullable ? scalar.nullable() : scalar;
  const example = embedded ? `relation(*,${name})` : `select=*,${name}`;
  const when = inDefault ? 'In the default projection.' : `Only when named in \`select\` (e.g. \`${example}\`).`;
  const note = NOTES[f.type];
  return typed.openapi({ description: note ? `${note} ${when}` : when }).optional();
}

/** `contacts` → `Contact`, `activities` → `Activity`, `addresses` → `Address`. */
export function singularName(plural: string): string {
  const one = /ies$/.test(plural) ? plural.replace(/ies$/, 'y') : /(ss|x|ch|sh)es$/.test(plural) ? plural.replace(/es$/, '') : plural.replace(/s$/, '');
  return pascalCase(one);
}

const pascalCase = (name: string) => name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Every selectable column; the default projection as `pickFields` (src/query/select.ts) chooses it. */
function columnShape(resource: ResourceDef, embedded: boolean): Record<string, z.ZodType> {
  const selectable = Object.entries(resource.fields).filter(([, f]) => !f.internal);
  const defaults = new Set(resource.defaultSelect ?? selectable.filter(([, f]) => !f.hidden).map(([name]) => name));
  return Object.fromEntries(selectable.map(([name, f]) => [name, fieldSchema(name, f, defaults.has(name), embedded)]));
}

/** The computed columns (per-row counts) a select may name on the resource's own rows. */
function computedShape(resource: ResourceDef): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(resource.computed ?? {}).map(([name, c]) => [
      name,
      z
        .int()
        .openapi({ description: `${c.description} Only when named in \`select\` (e.g. \`select=*,${name}\`); not filterable or sortable.` })
        .optional(),
    ]),
  );
}

/** A relation's `order` (`name`, or `-created_at` for descending) in words. */
const orderText = (order = 'id') => (order.startsWith('-') ? `ordered by ${order.slice(1)}, descending` : `ordered by ${order}`);

const NARROWING =
  'Every property is optional: `select` narrows the projection (`select=id,name`), renames it (`select=nm:name`: keys not listed here) and adds hidden fields or relations.';

export interface ResourceSchemas {
  /** The resource's row: its columns and, embedded on request, its relations (`Contact`). */
  row: z.ZodType<Row>;
  /** The /v1 list envelope around rows (`ContactsPage`). */
  page: ReturnType<typeof pageSchema>;
  /** GET /v1/{resource}/{id}: `{ data: row }`. */
  record: z.ZodObject<{ data: z.ZodType<Row> }>;
}

/**
 * The schemas of each listable resource, with one embedded schema per relation target, each
 * a named OpenAPI component (`Contact`, `ContactsPage`, `EmbeddedCompany`, …).
 */
export function buildResourceSchemas(catalog: Catalog, listable: readonly string[]): Record<string, ResourceSchemas> {
  const embedded = new Map<string, z.ZodType<Row>>();
  // Embeds do not nest (select.ts resolves one level), so an embedded row is columns only.
  const embeddedOf = (target: ResourceDef) => {
    let schema = embedded.get(target.name);
    if (!schema) {
      schema = z.object(columnShape(target, true)).openapi(`Embedded${singularName(target.name)}`, {
        description: `A row of ${target.name} embedded by a relation (\`select=*,relation(col,…)\`): columns only; the default projection unless columns are named. ${NARROWING}`,
      });
      embedded.set(target.name, schema);
    }
    return schema;
  };
  const out: Record<string, ResourceSchemas> = {};
  for (const name of listable) {
    const resource = catalog[name];
    const relations = Object.fromEntries(
      Object.entries(resource.relations).map(([rel, def]) => {
        const target = embeddedOf(relationTarget(catalog, def));
        const how = `Only when named in \`select\` (e.g. \`select=*,${rel}(*)\`).`;
        // A union, not `target.nullable()`: zod-to-openapi would mark the shared component itself nullable.
        const schema =
          def.kind === 'one'
            ? z.union([target, z.null()]).openapi({ description: `${how} null when there is none (or it is deleted).` })
            : z.array(target).openapi({ description: `${how} At most ${def.limit ?? 100}, ${orderText(def.order)}.` });
        return [rel, schema.optional()];
      }),
    );
    const row = z.object({ ...columnShape(resource, false), ...computedShape(resource), ...relations }).openapi(singularName(name), {
      description: `A row of ${name}. Without \`select\`, the properties described as "In the default projection" are all present. ${NARROWING}`,
    });
    out[name] = { row, page: pageSchema(name, row), record: z.object({ data: row }) };
  }
  return out;
}

// Checked against the query layer's unions: a mode or method added there fails to compile here.
const SEARCH_MODES = ['fts', 'trigram', 'fuzzy', 'prefix'] as const satisfies readonly SearchPlan['mode'][];
const COUNT_METHODS = ['exact', 'planned', 'estimated'] as const satisfies readonly CountMethod[];

export const PageInfo = z
  .object({
    limit: z.int(),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last one.' }),
    hasMore: z.boolean(),
    offset: z.int().optional().openapi({ description: 'Present when the request used `offset`.' }),
  })
  .openapi('PageInfo');

export const CountInfo = z
  .object({ value: z.int(), method: z.enum(COUNT_METHODS) })
  .openapi('CountInfo', { description: 'Present when a count was asked for (`Prefer: count=…` or `count=`).' });

const TIER_DOC =
  "What answered: `memory` (the isolate), `edge-cache` (the data centre's Cache API), `kv` (Workers KV) or `db` (Postgres). docs/api.md#read-tiers.";
const STALE_DOC = 'Always false: no tier answers from before a write its key knows of (X-Min-Generation), nor older than the staleness bound.';
const AGE_DOC = 'Milliseconds since Postgres gave this answer (0 when it just did).';

/** `meta` of GET /v1/{resource}/{id}. */
export const RecordMeta = z
  .object({
    requestId: z.string(),
    tier: z.enum(['memory', 'edge-cache', 'kv', 'db']).openapi({ description: TIER_DOC }),
    stale: z.boolean().openapi({ description: STALE_DOC }),
    ageMs: z.number().openapi({ description: AGE_DOC }),
  })
  .openapi('RecordMeta');

export const ResponseMeta = z
  .object({
    requestId: z.string().openapi({ description: 'Also in the X-Request-Id header; the log uses it.' }),
    tier: z.enum(['memory', 'edge-cache', 'kv', 'db']).openapi({ description: TIER_DOC }),
    stale: z.boolean().openapi({ description: STALE_DOC }),
    ageMs: z.number().openapi({ description: AGE_DOC }),
    queryMs: z.number().openapi({ description: 'Time spent in Postgres.' }),
    totalMs: z.number(),
    queries: z.int().openapi({ description: 'Statements sent.' }),
    searchMode: z
      .object({
        mode: z.enum(SEARCH_MODES),
        reason: z.string(),
        ranked: z.boolean(),
        candidates: z.int().optional().openapi({ description: 'Ranked search looks at most at this many matches.' }),
      })
      .optional()
      .openapi({ description: 'Present when the request searched (`q`).' }),
  })
  .openapi('ResponseMeta');

/** The /v1 list envelope (DESIGN §5.4) around one resource's rows: `ContactsPage`, … */
export function pageSchema(resource: string, row: z.ZodType<Row>) {
  return z
    .object({ data: z.array(row), page: PageInfo, count: CountInfo.optional(), meta: ResponseMeta })
    .openapi(`${pascalCase(resource)}Page`, { description: `A page of ${resource}.` });
}

export type Page = z.infer<ReturnType<typeof pageSchema>>;

/** Every listable resource's schemas, built once at module load. */
export const RESOURCE_SCHEMAS = buildResourceSchemas(CATALOG, Object.keys(RESOURCES));
