import type { Filter, ListRequest } from './ast';

const NEEDS_QUOTES = /[,()"\\{}]|^\s|\s$|^$/;

/** Quotes a value the way PostgREST reads it back (inside lists and logic trees). */
function quote(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

function printValue(f: Extract<Filter, { kind: 'cond' }>, nested: boolean): string {
  if (Array.isArray(f.value)) {
    const open = f.op === 'in' ? '(' : '{';
    const close = f.op === 'in' ? ')' : '}';
    return `${open}${f.value.map((v) => quote(String(v))).join(',')}${close}`;
  }
  const v = String(f.value);
  // At the top level only a leading and trailing quote would be read as quoting.
  return nested ? quote(v) : v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? quote(v) : v;
}

function printCondition(f: Extract<Filter, { kind: 'cond' }>, nested: boolean): string {
  const op = f.config ? `${f.op}(${f.config})` : f.op;
  return `${f.not ? 'not.' : ''}${op}.${printValue(f, nested)}`;
}

function printNested(f: Filter): string {
  if (f.kind === 'cond') return `${f.field}.${printCondition(f, true)}`;
  return `${f.not ? 'not.' : ''}${f.kind}(${f.items.map(printNested).join(',')})`;
}

/**
 * The canonical query string of a request: the inverse of parseQueryString for filters, order,
 * select and paging (used for round-trip properties and as the normalised cache-key form).
 */
export function printQueryString(req: ListRequest): URLSearchParams {
  const out = new URLSearchParams();
  if (req.select) {
    const rels = req.select.relations.map((r) => `${r.alias !== undefined ? `${r.alias}:` : ''}${r.name}(${r.fields.join(',')})`);
    out.append('select', [...req.select.fields, ...rels].join(','));
  }
  for (const f of req.where) {
    if (f.kind === 'cond') out.append(f.field, printCondition(f, false));
    else out.append(`${f.not ? 'not.' : ''}${f.kind}`, `(${f.items.map(printNested).join(',')})`);
  }
  if (req.order.length) out.append('order', req.order.map((o) => `${o.field}.${o.dir}${o.nulls ? `.nulls${o.nulls}` : ''}`).join(','));
  out.append('limit', String(req.limit));
  if (req.offset !== undefined) out.append('offset', String(req.offset));
  if (req.cursor) out.append('cursor', req.cursor);
  if (req.q !== undefined) out.append('q', req.q);
  if (req.search !== 'auto') out.append('search_mode', req.search);
  if (req.deleted !== 'exclude') out.append('deleted', req.deleted);
  if (req.count) out.append('count', req.count);
  return out;
}
