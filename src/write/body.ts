import { z } from '@hono/zod-openapi';
import { getTableColumns } from 'drizzle-orm';
import { type FieldDef, type ResourceDef, TEXT_MAX_LENGTH, type WriteSpec } from '../query/resource';
import { tableOf } from './orm';

/**
 * Request bodies of the write routes, generated from each resource's field declarations and its
 * `write` spec (src/query/resource.ts): strict objects, so a field that is unknown or not
 * writable (`id`, `org_id`, timestamps, derived fields) is refused by name, never ignored.
 * Text is trimmed, then length-checked; control characters other than tab and newlines are
 * refused (Postgres cannot store NUL, and the rest only ever arrive by accident or attack).
 */

// C0 controls other than \t \n \r, and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INT4 = { min: -2147483648, max: 2147483647 };

function text(max: number, email: boolean, required: boolean) {
  let s = z.string().trim().max(max, `at most ${max} characters`);
  if (required) s = s.min(1, 'must not be empty');
  return s
    .refine((v) => !CONTROL.test(v), 'contains a control character')
    .refine((v) => !email || v === '' || EMAIL.test(v), 'expected an e-mail address')
    .openapi({ description: `Trimmed; at most ${max} characters.${email ? ' An e-mail address.' : ''}`, ...(email ? { format: 'email' } : {}) });
}

/**
 * A decimal that fits its column (`numeric(precision, scale)` in the Drizzle schema): more
 * places than the column keeps would be rounded silently, more digits overflow.
 */
function decimal(table: string, column: string) {
  const col = Object.values(getTableColumns(tableOf(table))).find((c) => c.name === column) as { precision?: number; scale?: number } | undefined;
  const scale = col?.scale ?? 0;
  const whole = (col?.precision ?? 38) - scale;
  const pattern = new RegExp(`^-?\\d{1,${whole}}${scale ? `(\\.\\d{1,${scale}})?` : ''}$`);
  const what = `a decimal with at most ${whole} digits before the point and ${scale} after`;
  return z
    .union([z.number().refine(Number.isFinite, 'expected a finite number'), z.string().trim()])
    .transform((v) => String(v))
    .refine((v) => pattern.test(v), `expected ${what}`)
    .openapi({ description: `An exact decimal (${what}), as a string or a number.`, example: '1234.50' });
}

function input(name: string, f: FieldDef, spec: WriteSpec, table: string): z.ZodType {
  const notEmpty = !f.nullable;
  switch (f.type) {
    case 'text':
      return text(spec.maxLength?.[name] ?? TEXT_MAX_LENGTH, spec.emails?.includes(name) ?? false, notEmpty);
    case 'enum':
      if (!f.values?.length) throw new Error(`enum field "${name}" declares no values`);
      return z.enum(f.values as [string, ...string[]]);
    case 'uuid':
      return z.guid().transform((v) => v.toLowerCase());
    case 'int':
      return z.int().min(INT4.min).max(INT4.max);
    case 'numeric':
      return decimal(table, f.column);
    case 'bool':
      return z.boolean();
    case 'date':
      return z.iso.date();
    case 'timestamp':
      return z.iso.datetime({ offset: true }).openapi({ description: 'ISO-8601 with Z or an offset.' });
    default:
      throw new Error(`field "${name}" of type ${f.type} cannot be written`);
  }
}

function fieldsOf(resource: ResourceDef): Array<[string, z.ZodType]> {
  const spec = specOf(resource);
  return spec.fields.map((name) => {
    const f = resource.fields[name];
    if (!f) throw new Error(`${resource.name}: writable field "${name}" is not declared`);
    const scalar = input(name, f, spec, resource.table);
    return [name, f.nullable ? scalar.nullable() : scalar];
  });
}

export function specOf(resource: ResourceDef): WriteSpec {
  if (!resource.write) throw new Error(`${resource.name} is not writable`);
  return resource.write;
}

const names = (resource: ResourceDef) => singular(resource.name);
// The read side's rule (src/resources/schema.ts singularName): `addresses` → `Address`, not `Addresse`.
function singular(plural: string): string {
  const one = /ies$/.test(plural) ? plural.replace(/ies$/, 'y') : /(ss|x|ch|sh)es$/.test(plural) ? plural.replace(/es$/, '') : plural.replace(/s$/, '');
  return one.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

export interface BodySchemas {
  create: z.ZodType<Record<string, unknown>>;
  update: z.ZodType<Record<string, unknown>>;
  batch: z.ZodType<{ records: Array<Record<string, unknown>> }>;
}

/** Most records one batch takes (all or nothing). */
export const MAX_BATCH = 1000;

const cache = new Map<string, BodySchemas>();

/** The create, update and batch bodies of a resource, each a named OpenAPI component. */
export function bodySchemas(resource: ResourceDef): BodySchemas {
  const hit = cache.get(resource.name);
  if (hit) return hit;
  const spec = specOf(resource);
  const required = new Set(spec.required ?? []);
  const fields = fieldsOf(resource);
  const name = names(resource);
  const create = z
    .strictObject(Object.fromEntries(fields.map(([n, s]) => [n, required.has(n) ? s : s.optional()])))
    .openapi(`${name}Create`, { description: `A new ${name.toLowerCase()}. Fields not listed are refused.` });
  const createOnly = new Set(spec.createOnly ?? []);
  const changeable = fields.filter(([n]) => !createOnly.has(n));
  const update = z
    .strictObject(Object.fromEntries(changeable.map(([n, s]) => [n, s.optional()])))
    .refine((v) => Object.keys(v).length > 0, 'nothing to change: name at least one field')
    .openapi(`${name}Update`, { description: 'The fields to change; the others keep their values.' });
  // One shape for both kinds of batch record: with `id` it updates that record, without it
  // creates one (and then the create's required fields apply).
  const record = z
    .strictObject({
      id: z
        .guid()
        .transform((v) => v.toLowerCase())
        .optional(),
      ...Object.fromEntries(fields.map(([n, s]) => [n, s.optional()])),
    })
    .superRefine((v, ctx) => {
      if (v.id !== undefined) {
        if (Object.keys(v).length === 1) ctx.addIssue({ code: 'custom', path: ['id'], message: 'nothing to change: name at least one field besides id' });
        for (const n of createOnly)
          if ((v as Record<string, unknown>)[n] !== undefined) ctx.addIssue({ code: 'custom', path: [n], message: 'set only when creating' });
        return;
      }
      for (const n of required)
        if ((v as Record<string, unknown>)[n] === undefined) ctx.addIssue({ code: 'custom', path: [n], message: 'required when creating (no id)' });
    })
    .openapi(`${name}BatchRecord`, { description: `With \`id\`: an update of that ${name.toLowerCase()}. Without: a create.` });
  const batch = z
    .strictObject({ records: z.array(record).min(1, 'at least one record').max(MAX_BATCH, `at most ${MAX_BATCH} records`) })
    .superRefine((v, ctx) => {
      const seen = new Map<string, number>();
      v.records.forEach((r, i) => {
        if (r.id === undefined) return;
        const first = seen.get(r.id);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['records', i, 'id'], message: `the same id as records[${first}]` });
        else seen.set(r.id, i);
      });
    })
    .openapi(`${name}Batch`);
  const out = { create, update, batch } as unknown as BodySchemas;
  cache.set(resource.name, out);
  return out;
}

/**
 * After validation: an empty text in a nullable field means "no value" (null), as a cleared form
 * field would send it.
 */
export function normalise(resource: ResourceDef, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const f = resource.fields[k];
    out[k] = f?.type === 'text' && f.nullable && v === '' ? null : v;
  }
  return out;
}
