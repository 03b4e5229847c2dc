import { field, type ResourceDef, stamps } from '../../query/resource';

export const tags: ResourceDef = {
  name: 'tags',
  table: 'tags',
  alias: 'tg',
  fields: {
    id: field.id(),
    name: { ...field.text('name'), nullable: false },
    color: field.text('color'),
    ...stamps,
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  write: { fields: ['name', 'color'], required: ['name'], maxLength: { name: 100, color: 32 } },
  relations: {},
};
