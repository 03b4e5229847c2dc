import type { Operator, OrderTerm } from './ast';

export type FieldType = 'uuid' | 'text' | 'enum' | 'int' | 'numeric' | 'bool' | 'date' | 'timestamp' | 'tsvector';

export interface FieldDef {
  /** Column of the resource's table. */
  column: string;
  type: FieldType;
  /** Allowed values of an enum field. */
  values?: readonly string[];
  /** Operators allowed on the field; defaults by type (DEFAULT_OPS). */
  ops?: readonly Operator[];
  /**
   * Sortable means an index yields this order within an org: `(org_id, column, id)`, so an
   * ORDER BY on it with LIMIT reads only the page. The compiler refuses any other order.
   */
  sortable?: boolean;
  /**
   * Many rows share each value (names, industries): a substring filter on it, under its own
   * order, is checked once per distinct value (valueWalk in value-walk.ts). Needs the sort index
   * to be exactly `(org_id, column, id)`, `WHERE deleted_at is null` on soft-deleting tables.
   */
  repeats?: boolean;
  nullable?: boolean;
  /** Has a trigram GIN index: substring (ilike) filters on it are index-served. */
  trigram?: boolean;
  /** Not part of the default projection (still selectable by name unless `internal`). */
  hidden?: boolean;
  /** Never selectable (e.g. the tsvector column); filterable with its operators. */
  internal?: boolean;
}

export interface RelationDef {
  /** one: this row's `localKey` → target.id. many: target rows whose `foreignKey` = this id. */
  kind: 'one' | 'many';
  /** The target resource's name in the catalog (names, not imports: resources refer to each other freely). */
  target: string;
  localKey?: string;
  foreignKey?: string;
  /** many-to-many through a link table (entity_id → target id). */
  through?: { table: string; localKey: string; targetKey: string };
  /**
   * Order of embedded many-rows: a column of the target, ascending, or `-column` for descending
   * (DRF's notation, e.g. `-created_at` for newest first). `id` ascending when not given.
   */
  order?: string;
  /** Cap on embedded many-rows (keeps responses bounded). */
  limit?: number;
}

export interface RelationOrder {
  column: string;
  dir: 'asc' | 'desc';
}

/** A relation's order as column and direction. */
export function relationOrder(rel: RelationDef): RelationOrder {
  const order = rel.order ?? 'id';
  return order.startsWith('-') ? { column: order.slice(1), dir: 'desc' } : { column: order, dir: 'asc' };
}

/**
 * A value computed per row in the list's own statement (`select=id,deal_count`): how many live
 * rows of `target` point at the row through `foreignKey`, counting only those the caller may
 * read. Selectable by name (never in the default projection), neither filterable nor sortable:
 * no index holds it.
 */
export interface ComputedDef {
  kind: 'count';
  /** The counted resource's name in the catalog. */
  target: string;
  /** Its column holding this row's id. */
  foreignKey: string;
  /** For /openapi.json. */
  description: string;
}

export interface ResourceDef {
  name: string;
  table: string;
  /** Short SQL alias; unique per resource so embedded relations don't clash. */
  alias: string;
  fields: Record<string, FieldDef>;
  /** A filter on the key expands to OR over the listed fields (e.g. name → first/last name). */
  compound?: Record<string, readonly string[]>;
  defaultSelect?: readonly string[];
  /** Index-served default order (id is appended as the tie-breaker). */
  defaultOrder: readonly OrderTerm[];
  softDelete: boolean;
  /** Tag link table for `tags=cs.{a,b}` filters and the `tags` relation. */
  tagLinks?: string;
  search?: {
    /** tsvector column for full-text search (GIN). */
    vector: string;
    /** Text fields with trigram indexes, searched by substring and similarity. */
    trigram: readonly string[];
    /**
     * Stored lowercase concatenation of the `trigram` fields with its own trigram index
     * (schema `searchText`): when present, one-term search reads it instead of each field.
     */
    text?: string;
  };
  relations: Record<string, RelationDef>;
  /** Per-row counts a `select` may name (ComputedDef); their names are distinct from the fields'. */
  computed?: Record<string, ComputedDef>;
  /** What clients may write; absent means read-only (src/write/). */
  write?: WriteSpec;
}

/**
 * The write side of a resource, declared beside its fields: the request bodies (strict zod
 * schemas, src/write/body.ts) are generated from these names and the fields' types, so reads
 * and writes cannot drift apart.
 */
export interface WriteSpec {
  /**
   * Fields a body may set. Every other field (`id`, `org_id`, timestamps, derived ones) is
   * refused by name: mass assignment is impossible by construction. `owner_id`, when listed, is
   * further limited by the caller's role (a member may only name themself).
   */
  fields: readonly string[];
  /** Fields a create must carry. */
  required?: readonly string[];
  /** Fields set once, at creation (a stage's pipeline). */
  createOnly?: readonly string[];
  /** Only admins may create, change or delete these (users, teams). */
  adminOnly?: boolean;
  /**
   * uuid fields that point at a record of another resource (field → catalog name): the id must
   * name a live record of the caller's org, checked before the write (a foreign key alone would
   * accept another org's id).
   */
  references?: Readonly<Record<string, string>>;
  /** Longest text per field after trimming (TEXT_MAX_LENGTH when not given). */
  maxLength?: Readonly<Record<string, number>>;
  /** Text fields that hold an e-mail address. */
  emails?: readonly string[];
}

/** The resource's computed column of that name, if it has one (own names only: never Object.prototype's). */
export function computedOf(resource: ResourceDef, name: string): ComputedDef | undefined {
  return resource.computed && Object.hasOwn(resource.computed, name) ? resource.computed[name] : undefined;
}

/** Longest a written text value may be unless its resource says otherwise. */
export const TEXT_MAX_LENGTH = 500;

/** Every declared resource by name, listable or embedded only: relations resolve through it. */
export type Catalog = Readonly<Record<string, ResourceDef>>;

/** The resource a relation (or a computed count) points to; a missing name is a declaration bug, caught by test/query/resources.unit.test.ts. */
export function relationTarget(catalog: Catalog, rel: RelationDef | ComputedDef): ResourceDef {
  const target = Object.hasOwn(catalog, rel.target) ? catalog[rel.target] : undefined;
  if (!target) throw new Error(`relation to "${rel.target}", which is not in the catalog`);
  return target;
}

export const DEFAULT_OPS: Record<FieldType, readonly Operator[]> = {
  uuid: ['eq', 'neq', 'in', 'is'],
  text: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is', 'contains', 'startswith', 'endswith'],
  enum: ['eq', 'neq', 'in', 'is'],
  int: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is'],
  numeric: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is'],
  bool: ['eq', 'neq', 'is'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is'],
  timestamp: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is'],
  tsvector: ['fts', 'plfts', 'phfts', 'wfts'],
};

export function opsOf(field: FieldDef): readonly Operator[] {
  return field.ops ?? DEFAULT_OPS[field.type];
}

/** Small constructors so resource files read like a table of fields. */
export const field = {
  /** Sortable only where an `(org_id, id)` index exists: pass `{ sortable: true }` there. */
  id: (extra: Partial<FieldDef> = {}): FieldDef => ({ column: 'id', type: 'uuid', ...extra }),
  uuid: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'uuid', nullable: true, ...extra }),
  text: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'text', nullable: true, ...extra }),
  enum: (column: string, values: readonly string[], extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'enum', values, ...extra }),
  int: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'int', ...extra }),
  numeric: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'numeric', ...extra }),
  bool: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'bool', ...extra }),
  date: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'date', nullable: true, ...extra }),
  timestamp: (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, type: 'timestamp', ...extra }),
  search: (column = 'search'): FieldDef => ({ column, type: 'tsvector', internal: true, hidden: true }),
};

/** Timestamps every table has; created_at is served by each table's `(org_id, created_at desc, id desc)` index. */
export const stamps = {
  created_at: field.timestamp('created_at', { sortable: true }),
  updated_at: field.timestamp('updated_at'),
};

/** For tables that also index `(org_id, updated_at desc, id desc)`. */
export const sortableStamps = {
  created_at: field.timestamp('created_at', { sortable: true }),
  updated_at: field.timestamp('updated_at', { sortable: true }),
};

export const softDeleteFields = {
  deleted_at: field.timestamp('deleted_at', { nullable: true, hidden: true }),
  deleted_by: field.uuid('deleted_by', { hidden: true }),
};
