import { CONTACT_STATUSES, GENDERS, LIFECYCLE_STAGES, SOURCES } from '../../core/enums';
import { field, type ResourceDef, softDeleteFields, sortableStamps } from '../../query/resource';

export const contacts: ResourceDef = {
  name: 'contacts',
  table: 'contacts',
  alias: 'c',
  fields: {
    id: field.id({ sortable: true }),
    first_name: field.text('first_name', { sortable: true, repeats: true, trigram: true }),
    last_name: field.text('last_name', { sortable: true, repeats: true, trigram: true }),
    email: field.text('email', { sortable: true, trigram: true }),
    phone: field.text('phone', { sortable: true, trigram: true }),
    gender: field.enum('gender', GENDERS, { nullable: true, sortable: true }),
    customer_id: field.text('customer_id', { sortable: true }),
    birthday: field.date('birthday', { sortable: true }),
    status: field.enum('status', CONTACT_STATUSES),
    lifecycle_stage: field.enum('lifecycle_stage', LIFECYCLE_STAGES),
    source: field.enum('source', SOURCES, { nullable: true }),
    address_id: field.uuid('address_id'),
    primary_company_id: field.uuid('primary_company_id'),
    owner_id: field.uuid('owner_id'),
    ...sortableStamps,
    ...softDeleteFields,
    search: field.search(),
  },
  compound: { name: ['first_name', 'last_name'] },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: true,
  tagLinks: 'contact_tags',
  search: { vector: 'search', trigram: ['first_name', 'last_name', 'email'], text: 'search_text' },
  write: {
    fields: [
      'first_name',
      'last_name',
      'email',
      'phone',
      'gender',
      'customer_id',
      'birthday',
      'status',
      'lifecycle_stage',
      'source',
      'address_id',
      'primary_company_id',
      'owner_id',
    ],
    references: { address_id: 'addresses', primary_company_id: 'companies', owner_id: 'users' },
    emails: ['email'],
    maxLength: { customer_id: 64, phone: 64 },
  },
  // Counted per row when selected (`select=*,deal_count`), by deals_contact_idx and activities_contact_idx.
  computed: {
    deal_count: {
      kind: 'count',
      target: 'deals',
      foreignKey: 'contact_id',
      description: 'Deals of the contact (deals.contact_id) that the caller may read, trash excluded.',
    },
    activity_count: {
      kind: 'count',
      target: 'activities',
      foreignKey: 'contact_id',
      description: 'Activities of the contact (activities.contact_id) that the caller may read.',
    },
  },
  relations: {
    company: { kind: 'one', target: 'companies', localKey: 'primary_company_id' },
    address: { kind: 'one', target: 'addresses', localKey: 'address_id' },
    owner: { kind: 'one', target: 'users', localKey: 'owner_id' },
    tags: { kind: 'many', target: 'tags', through: { table: 'contact_tags', localKey: 'entity_id', targetKey: 'tag_id' }, order: 'name' },
    // Loyalty history, newest first (as the seed service lists it); served per contact by the
    // unique (org_id, contact_id, created_at) index, read backwards.
    relationships: { kind: 'many', target: 'customer_relationships', foreignKey: 'contact_id', order: '-created_at' },
  },
};
