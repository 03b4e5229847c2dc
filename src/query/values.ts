import { AppError } from '../core/errors';
import { LIMITS } from './ast';
import type { FieldDef } from './resource';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT = /^-?\d{1,10}$/;
const NUMERIC = /^-?\d{1,14}(\.\d{1,6})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/;
/** Postgres' bound on a time zone offset: ±15:59 (anything beyond is SQLSTATE 22009). */
const MAX_OFFSET_HOURS = 15;

function bad(path: string, message: string): AppError {
  return new AppError('invalid_query', `${path}: ${message}.`, [{ path, message }]);
}

/** A calendar date from year 1 to 9999 (Postgres has no year 0). */
export function isValidDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  return y >= 1 && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** A date, or a date and time with an optional offset, that Postgres reads as a timestamptz. */
export function isValidTimestamp(v: string): boolean {
  const m = DATETIME.exec(v);
  if (!m || !isValidDate(m[1])) return false;
  if (m[2] !== undefined && (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59)) return false;
  if (m[5] !== undefined && (Number(m[5]) > MAX_OFFSET_HOURS || Number(m[6] ?? 0) > 59)) return false;
  return true;
}

/** Text in Postgres cannot hold U+0000 (SQLSTATE 22021): a value carrying it is refused here, by its path. */
export function checkStorable(text: string, path: string): void {
  if (text.includes('\u0000')) throw bad(path, 'contains a character the database cannot hold (NUL, U+0000)');
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
  checkStorable(text, path);
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
