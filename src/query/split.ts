import { AppError } from '../core/errors';

/**
 * Splits on `sep` at nesting depth 0, honouring parentheses and double-quoted strings
 * (PostgREST quoting: "a,b" is one value; \" and \\ escape inside quotes).
 */
export function splitTopLevel(input: string, sep = ',', path = 'query'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < input.length) {
        current += ch + input[++i];
        continue;
      }
      if (ch === '"') quoted = false;
      current += ch;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '{') depth++;
    else if (ch === ')' || ch === '}') {
      depth--;
      if (depth < 0) throw new AppError('invalid_query', `Unbalanced parentheses in ${path}.`, [{ path, message: 'unbalanced parentheses' }]);
    } else if (ch === sep && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted || depth !== 0)
    throw new AppError('invalid_query', `Unbalanced quotes or parentheses in ${path}.`, [{ path, message: 'unbalanced quotes or parentheses' }]);
  parts.push(current);
  return parts;
}

/** Removes PostgREST double quotes from one value and unescapes \" and \\. */
export function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  return value;
}

/** Parses a parenthesised list `(a,b,"c,d")` or braces `{a,b}` into its values. */
export function parseList(raw: string, path: string): string[] {
  const open = raw[0];
  const close = open === '(' ? ')' : open === '{' ? '}' : '';
  if (!close || !raw.endsWith(close)) {
    throw new AppError('invalid_query', `Expected a list like (a,b) at ${path}.`, [{ path, message: 'expected a parenthesised list' }]);
  }
  const inner = raw.slice(1, -1);
  if (inner.trim() === '') return [];
  return splitTopLevel(inner, ',', path).map((v) => unquote(v.trim()));
}
