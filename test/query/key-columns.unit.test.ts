import { describe, expect, it } from 'vitest';
import { parseQueryString } from '../../src/query/parse-query-string';
import { planList } from '../../src/query/plan';
import { CATALOG } from '../../src/resources/registry';

// A page's order keys (the cursor's values) are read from the projected columns that render
// them the same, not selected a second time: an export of the id and the sort column decodes
// two values fewer per row. Keys the projection lacks keep their own `__k` columns at the end.
const ORG = '00000000-0000-4000-8000-000000000001';
const plan = (qs: string) => planList({ catalog: CATALOG, resource: CATALOG.contacts, req: parseQueryString(new URLSearchParams(qs)), orgId: ORG });

describe('order keys read from the projection', () => {
  it('the id and a timestamp sort column come from their projected columns', () => {
    const p = plan('select=email,created_at,id&order=created_at.asc');
    expect(p.statement).not.toContain('__k');
    expect(p.keyColumns).toEqual([
      { index: 1, name: 'created_at', projected: true },
      { index: 2, name: 'id', projected: true },
    ]);
  });

  it('under an alias too; keys the projection lacks get their own columns after it', () => {
    const p = plan('select=mail:email,when:created_at&order=email.desc');
    expect(p.keyColumns).toEqual([
      { index: 0, name: 'mail', projected: true },
      { index: 2, name: '__k1', projected: false },
    ]);
    expect(p.statement).toContain('c.id::text as __k1');
    expect(p.statement).not.toContain('__k0');
  });

  it('a timestamp key of its own is ISO text, like the column it orders', () => {
    const p = plan('select=email&order=updated_at.desc');
    expect(p.statement).toMatch(/to_char\(c\.updated_at at time zone 'UTC', [^)]+\) as __k0/);
    expect(p.keyColumns.map((k) => k.name)).toEqual(['__k0', '__k1']);
  });
});
