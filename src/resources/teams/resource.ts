import { field, type ResourceDef, stamps } from '../../query/resource';

export const teams: ResourceDef = {
  name: 'teams',
  table: 'teams',
  alias: 't',
  fields: {
    id: field.id(),
    name: { ...field.text('name'), nullable: false },
    description: field.text('description'),
    ...stamps,
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  write: { fields: ['name', 'description'], required: ['name'], adminOnly: true, maxLength: { description: 2000 } },
  relations: {
    members: { kind: 'many', target: 'users', foreignKey: 'team_id', order: 'name', limit: 200 },
  },
};
