import { AppError } from '../core/errors';
import { LIMITS } from './ast';
import type { FieldDef } from './resource';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT = /^-?\d{1,10}$/;
const NUMERIC = /^-?\d{1,14}(\.\d{1,6})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function bad(path: string, message: string): AppError {
  return new AppError('invalid_query', `${path}: ${message}.`, [{ path, message }]);
}

export function isValidDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

export function isValidTimestamp(v: string): boolean {
  const m = DATETIME.exec(v);
  if (!m || !isValidDate(m[1])) return false;
  if (m[2] !== undefined && (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59)) return false;
  return true;
}

/**
 * Coerces one client value to the field's type, or a 400 `invalid_query` naming the path.
 * The result is only ever bound as a parameter; it never becomes SQL text.
 */
export function coerceValue(field: FieldDef, raw: unknown, path: string): string | number | boolean {
  if (raw === null || raw === undefined) throw bad(path, 'a value is required (use is.null for nulls)');
  if (typeof raw === 'object') throw bad(path, 'expected a scalar value');
  const text = String(raw);
  if (text.length > LIMITS.maxValueLength) throw bad(path, `value longer than ${LIMITS.maxValueLength} characters`);
  switch (field.type) {
    case 'uuid':
      if (!UUID.test(text)) throw bad(path, 'expected a UUID');
      return text.toLowerCase();
    case 'int':
      if (typeof raw === 'number' ? !Number.isInteger(raw) : !INT.test(text)) throw bad(path, 'expected an integer');
      if (Math.abs(Number(text)) > 2_147_483_647) throw bad(path, 'integer out of range');
      return Number(text);
    case 'numeric':
      if (!NUMERIC.test(text)) throw bad(path, 'expected a decimal number');
      return text;
    case 'bool':
      if (text !== 'true' && text !== 'false') throw bad(path, 'expected true or false');
      return text === 'true';
    case 'date':
      if (!isValidDate(text)) throw bad(path, 'expected a date YYYY-MM-DD');
      return text;
    case 'timestamp':
      if (!isValidTimestamp(text)) throw bad(path, 'expected an ISO 8601 date or date-time');
      return text;
    case 'enum':
      if (!field.values?.includes(text)) throw bad(path, `expected one of ${field.values?.join(', ')}`);
      return text;
    default:
      return text;
  }
}

/** PostgREST `like`/`ilike` patterns use `*` for `%`. */
export function likePattern(value: string): string {
  return value.replace(/\*/g, '%');
}

/** Literal text inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (m) => `\\${m}`);
}

export const SQL_TYPES: Record<FieldDef['type'], string> = {
  uuid: 'uuid',
  text: 'text',
  enum: 'text',
  int: 'int',
  numeric: 'numeric',
  bool: 'boolean',
  date: 'date',
  timestamp: 'timestamptz',
  tsvector: 'tsvector',
};
