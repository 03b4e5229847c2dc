import { describe, expect, it } from 'vitest';
import { relationTarget } from '../../src/query/resource';
import { CATALOG, RESOURCES } from '../../src/resources/registry';

describe('resource declarations', () => {
  const all = Object.values(CATALOG);

  it("use SQL aliases that are unique and never clash with the compiler's own", () => {
    const aliases = all.map((r) => r.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const a of aliases) expect(a).not.toMatch(/^(rel\d+|link\d+|tag_link|tag_row|bounded|p)$/);
  });

  it('declare an id field, and relations to declared resources that say how they join', () => {
    for (const r of all) {
      expect(r.fields.id?.type, r.name).toBe('uuid');
      for (const [name, rel] of Object.entries(r.relations)) {
        const target = relationTarget(CATALOG, rel);
        expect(target.fields.id, `${r.name}.${name}`).toBeDefined();
        // one: this row's key is a declared column; many: by the target's foreign key or through a link table, one of them.
        const joins = rel.kind === 'one' ? Object.values(r.fields).some((f) => f.column === rel.localKey) : !!rel.foreignKey !== !!rel.through;
        expect(joins, `${r.name}.${name}`).toBe(true);
      }
    }
  });

  it('declare computed counts over declared resources, by a column of theirs, under names of their own', () => {
    for (const r of all) {
      for (const [name, c] of Object.entries(r.computed ?? {})) {
        const target = relationTarget(CATALOG, c);
        expect(
          Object.values(target.fields).some((f) => f.column === c.foreignKey),
          `${r.name}.${name}`,
        ).toBe(true);
        expect(r.fields[name] ?? r.relations[name], `${r.name}.${name} is also a field or relation`).toBeUndefined();
        // The count's subquery binds the target's alias: it must not hide the row's.
        expect(target.alias, `${r.name}.${name}`).not.toBe(r.alias);
      }
    }
  });

  it('listable resources default to an order on sortable fields', () => {
    // Addresses and stages are embedded, never listed: they need no index-served order.
    const listable = Object.values(RESOURCES);
    expect(listable.length).toBeGreaterThan(0);
    for (const r of listable) {
      expect(r.defaultOrder.length, r.name).toBeGreaterThan(0);
      for (const o of r.defaultOrder) expect(r.fields[o.field]?.sortable, `${r.name}.${o.field}`).toBe(true);
    }
  });
});
