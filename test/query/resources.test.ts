import { describe, expect, it } from 'vitest';
import { relationTarget } from '../../src/query/resource';
import { CATALOG, RESOURCES } from '../../src/resources/registry';

describe('resource declarations', () => {
  const all = Object.values(CATALOG);

  it('use SQL aliases that are unique and never clash with the compiler\'s own', () => {
    const aliases = all.map((r) => r.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const a of aliases) expect(a).not.toMatch(/^(rel\d+|link\d+|tag_link|tag_row|bounded|p)$/);
  });

  it('declare an id field, a default order on sortable fields, and relations to declared resources', () => {
    for (const r of all) {
      expect(r.fields.id?.type, r.name).toBe('uuid');
      // Listable resources only: addresses and stages are embedded, never listed.
      if (Object.values(RESOURCES).includes(r)) for (const o of r.defaultOrder) expect(r.fields[o.field]?.sortable, `${r.name}.${o.field}`).toBe(true);
      for (const [name, rel] of Object.entries(r.relations)) {
        const target = relationTarget(CATALOG, rel);
        expect(target.fields.id, `${r.name}.${name}`).toBeDefined();
        if (rel.kind === 'one') expect(Object.values(r.fields).some((f) => f.column === rel.localKey), `${r.name}.${name}`).toBe(true);
      }
    }
  });
});
