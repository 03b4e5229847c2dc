import { field, type ResourceDef } from '../../query/resource';

/**
 * A contact's loyalty history (the seed's CustomerRelationship), embedded only: as
 * `contacts.relationships` in a select, and as the target of related conditions (appusers'
 * points_min / points_max / last_activity_after). Never listed on its own.
 */
export const customerRelationships: ResourceDef = {
  name: 'customer_relationships',
  table: 'customer_relationships',
  alias: 'cr',
  fields: {
    id: field.id(),
    contact_id: field.uuid('contact_id', { nullable: false }),
    // Ranges on points and last_activity_at are served by (org_id, points) and
    // (org_id, last_activity_at): what `sortable` tells the cost check. Nothing orders by them.
    points: field.int('points', { sortable: true }),
    created_at: field.timestamp('created_at'),
    last_activity_at: field.timestamp('last_activity_at', { nullable: true, sortable: true }),
    updated_at: field.timestamp('updated_at', { hidden: true }),
  },
  defaultSelect: ['points', 'created_at', 'last_activity_at'],
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  relations: {},
  // created_at is when the entry was recorded (importing history sets it); one entry per
  // contact and instant (the seed's unique rule).
  write: {
    fields: ['contact_id', 'points', 'created_at', 'last_activity_at'],
    required: ['contact_id'],
    createOnly: ['contact_id', 'created_at'],
    references: { contact_id: 'contacts' },
  },
};
