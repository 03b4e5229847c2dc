import { field, type ResourceDef, stamps } from '../../query/resource';

export const stages: ResourceDef = {
  name: 'stages',
  table: 'pipeline_stages',
  alias: 'ps',
  fields: {
    id: field.id(),
    pipeline_id: { ...field.uuid('pipeline_id'), nullable: false },
    name: { ...field.text('name'), nullable: false },
    position: field.int('position', { sortable: true }),
    probability: field.int('probability'),
    is_won: field.bool('is_won'),
    is_lost: field.bool('is_lost'),
    created_at: field.timestamp('created_at'),
    updated_at: field.timestamp('updated_at'),
  },
  defaultOrder: [{ field: 'position', dir: 'asc' }],
  softDelete: false,
  relations: {},
  // A stage stays in its pipeline: deals point at both.
  write: {
    fields: ['pipeline_id', 'name', 'position', 'probability', 'is_won', 'is_lost'],
    required: ['pipeline_id', 'name', 'position'],
    createOnly: ['pipeline_id'],
    references: { pipeline_id: 'pipelines' },
    maxLength: { name: 200 },
  },
};

export const pipelines: ResourceDef = {
  name: 'pipelines',
  table: 'pipelines',
  alias: 'pl',
  fields: {
    id: field.id(),
    name: { ...field.text('name'), nullable: false },
    is_default: field.bool('is_default'),
    ...stamps,
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  write: { fields: ['name', 'is_default'], required: ['name'], maxLength: { name: 200 } },
  relations: {
    stages: { kind: 'many', target: 'stages', foreignKey: 'pipeline_id', order: 'position' },
  },
};
