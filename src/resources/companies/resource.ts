import { SIZE_BANDS } from '../../core/enums';
import { field, type ResourceDef, softDeleteFields, sortableStamps } from '../../query/resource';

export const companies: ResourceDef = {
  name: 'companies',
  table: 'companies',
  alias: 'co',
  fields: {
    id: field.id(),
    name: { ...field.text('name', { sortable: true, trigram: true }), nullable: false },
    domain: field.text('domain', { sortable: true, trigram: true }),
    industry: field.text('industry', { sortable: true, repeats: true }),
    size_band: field.enum('size_band', SIZE_BANDS, { nullable: true }),
    annual_revenue: field.numeric('annual_revenue', { sortable: true, nullable: true }),
    address_id: field.uuid('address_id'),
    owner_id: field.uuid('owner_id'),
    ...sortableStamps,
    ...softDeleteFields,
    search: field.search(),
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: true,
  tagLinks: 'company_tags',
  search: { vector: 'search', trigram: ['name', 'domain'], text: 'search_text' },
  write: {
    fields: ['name', 'domain', 'industry', 'size_band', 'annual_revenue', 'address_id', 'owner_id'],
    required: ['name'],
    references: { address_id: 'addresses', owner_id: 'users' },
  },
  relations: {
    address: { kind: 'one', target: 'addresses', localKey: 'address_id' },
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
    tags: { kind: 'many', target: 'tags', through: { table: 'company_tags', localKey: 'entity_id', targetKey: 'tag_id' }, order: 'name' },
  },
};
