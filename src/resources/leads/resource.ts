import { LEAD_STATUSES, SOURCES } from '../../core/enums';
import { field, type ResourceDef, softDeleteFields, sortableStamps } from '../../query/resource';

export const leads: ResourceDef = {
  name: 'leads',
  table: 'leads',
  alias: 'l',
  fields: {
    id: field.id(),
    first_name: field.text('first_name', { trigram: true }),
    last_name: field.text('last_name', { sortable: true, repeats: true, trigram: true }),
    email: field.text('email', { trigram: true }),
    phone: field.text('phone'),
    company_name: field.text('company_name', { trigram: true }),
    status: field.enum('status', LEAD_STATUSES),
    source: field.enum('source', SOURCES, { nullable: true }),
    score: field.int('score', { sortable: true }),
    owner_id: field.uuid('owner_id'),
    converted_contact_id: field.uuid('converted_contact_id'),
    ...sortableStamps,
    ...softDeleteFields,
    search: field.search(),
  },
  compound: { name: ['first_name', 'last_name'] },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: true,
  tagLinks: 'lead_tags',
  search: { vector: 'search', trigram: ['first_name', 'last_name', 'email', 'company_name'], text: 'search_text' },
  write: {
    fields: ['first_name', 'last_name', 'email', 'phone', 'company_name', 'status', 'source', 'score', 'owner_id'],
    references: { owner_id: 'users' },
    emails: ['email'],
    maxLength: { phone: 64 },
  },
  relations: {
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
    converted_contact: { kind: 'one', target: 'contacts', localKey: 'converted_contact_id' },
    tags: { kind: 'many', target: 'tags', through: { table: 'lead_tags', localKey: 'entity_id', targetKey: 'tag_id' }, order: 'name' },
  },
};
