import { DEAL_STATUSES } from '../../core/enums';
import { field, type ResourceDef, softDeleteFields, sortableStamps } from '../../query/resource';

export const deals: ResourceDef = {
  name: 'deals',
  table: 'deals',
  alias: 'd',
  fields: {
    id: field.id(),
    name: { ...field.text('name', { sortable: true, trigram: true }), nullable: false },
    value: field.numeric('value', { sortable: true }),
    currency: { ...field.text('currency'), nullable: false },
    probability: field.int('probability'),
    status: field.enum('status', DEAL_STATUSES),
    expected_close_date: field.date('expected_close_date', { sortable: true }),
    closed_at: field.timestamp('closed_at', { nullable: true }),
    pipeline_id: { ...field.uuid('pipeline_id'), nullable: false },
    stage_id: { ...field.uuid('stage_id'), nullable: false },
    contact_id: field.uuid('contact_id'),
    company_id: field.uuid('company_id'),
    owner_id: field.uuid('owner_id'),
    ...sortableStamps,
    ...softDeleteFields,
    search: field.search(),
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: true,
  tagLinks: 'deal_tags',
  search: { vector: 'search', trigram: ['name'] },
  relations: {
    stage: { kind: 'one', target: 'stages', localKey: 'stage_id' },
    pipeline: { kind: 'one', target: 'pipelines', localKey: 'pipeline_id' },
    contact: { kind: 'one', target: 'contacts', localKey: 'contact_id' },
    company: { kind: 'one', target: 'companies', localKey: 'company_id' },
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
    tags: { kind: 'many', target: 'tags', through: { table: 'deal_tags', localKey: 'entity_id', targetKey: 'tag_id' }, order: 'name' },
  },
};
