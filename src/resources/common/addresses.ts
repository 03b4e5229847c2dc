import { field, type ResourceDef, stamps } from '../../query/resource';

/** Addresses are embedded (contact.address, company.address), not listed on their own. */
export const addresses: ResourceDef = {
  name: 'addresses',
  table: 'addresses',
  alias: 'ad',
  fields: {
    id: field.id(),
    street: field.text('street', { trigram: true }),
    street_number: field.text('street_number'),
    city_code: field.text('city_code'),
    city: field.text('city', { trigram: true }),
    postal_code: field.text('postal_code'),
    country: field.text('country', { trigram: true }),
    ...stamps,
  },
  defaultOrder: [{ field: 'id', dir: 'asc' }],
  softDelete: false,
  relations: {},
  write: {
    fields: ['street', 'street_number', 'city_code', 'city', 'postal_code', 'country'],
    maxLength: { street_number: 32, city_code: 32, postal_code: 32 },
  },
};
