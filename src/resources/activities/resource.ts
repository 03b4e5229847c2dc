import { ACTIVITY_PRIORITIES, ACTIVITY_STATUSES, ACTIVITY_TYPES } from '../../core/enums';
import { field, type ResourceDef } from '../../query/resource';

export const activities: ResourceDef = {
  name: 'activities',
  table: 'activities',
  alias: 'ac',
  fields: {
    id: field.id(),
    type: field.enum('type', ACTIVITY_TYPES),
    subject: { ...field.text('subject'), nullable: false },
    body: field.text('body', { hidden: true }),
    status: field.enum('status', ACTIVITY_STATUSES),
    priority: field.enum('priority', ACTIVITY_PRIORITIES),
    due_at: field.timestamp('due_at', { nullable: true, sortable: true }),
    completed_at: field.timestamp('completed_at', { nullable: true }),
    contact_id: field.uuid('contact_id'),
    company_id: field.uuid('company_id'),
    deal_id: field.uuid('deal_id'),
    lead_id: field.uuid('lead_id'),
    owner_id: field.uuid('owner_id'),
    created_at: field.timestamp('created_at', { sortable: true }),
    updated_at: field.timestamp('updated_at'),
    search: field.search(),
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  search: { vector: 'search', trigram: [] },
  write: {
    fields: ['type', 'subject', 'body', 'status', 'priority', 'due_at', 'completed_at', 'contact_id', 'company_id', 'deal_id', 'lead_id', 'owner_id'],
    required: ['type', 'subject'],
    references: { contact_id: 'contacts', company_id: 'companies', deal_id: 'deals', lead_id: 'leads', owner_id: 'users' },
    maxLength: { body: 20_000 },
  },
  relations: {
    contact: { kind: 'one', target: 'contacts', localKey: 'contact_id' },
    company: { kind: 'one', target: 'companies', localKey: 'company_id' },
    deal: { kind: 'one', target: 'deals', localKey: 'deal_id' },
    lead: { kind: 'one', target: 'leads', localKey: 'lead_id' },
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
  },
};
