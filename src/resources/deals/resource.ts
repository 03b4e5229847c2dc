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
  // status and closed_at follow the stage (src/write/rules.ts): move a deal to the won stage to win it.
  write: {
    fields: ['name', 'value', 'currency', 'probability', 'expected_close_date', 'pipeline_id', 'stage_id', 'contact_id', 'company_id', 'owner_id'],
    required: ['name'],
    references: { pipeline_id: 'pipelines', stage_id: 'stages', contact_id: 'contacts', company_id: 'companies', owner_id: 'users' },
    maxLength: { currency: 3 },
  },
  relations: {
    stage: { kind: 'one', target: 'stages', localKey: 'stage_id' },
    pipeline: { kind: 'one', target: 'pipelines', localKey: 'pipeline_id' },
    contact: { kind: 'one', target: 'contacts', localKey: 'contact_id' },
    company: { kind: 'one', target: 'companies', localKey: 'company_id' },
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
    tags: { kind: 'many', target: 'tags', through: { table: 'deal_tags', localKey: 'entity_id', targetKey: 'tag_id' }, order: 'name' },
  },
};
