/**
 * The seed service's contract (CRM Performance Backend, /api/v1/appusers/), mapped onto
 * contacts + addresses + customer_relationships. Filters are declared here once; the
 * service compiles them to bound parameters.
 */

/** Case-insensitive "contains" filters, served by trigram GIN indexes. */
export const CONTAINS_FILTERS = {
  first_name: 'c.first_name',
  last_name: 'c.last_name',
  phone_number: 'c.phone',
  city: 'a.city',
  street: 'a.street',
  country: 'a.country',
} as const;

/** Exact filters on the contact. */
export const EXACT_FILTERS = {
  gender: 'c.gender',
  customer_id: 'c.customer_id',
} as const;

/**
 * `ordering` accepts the serialized top-level fields; each maps to the columns of an index
 * that yields that order within an org (see contacts indexes), plus the id tie-breaker.
 */
export const ORDERING_FIELDS = {
  id: 'c.id',
  first_name: 'c.first_name',
  last_name: 'c.last_name',
  gender: 'c.gender',
  customer_id: 'c.customer_id',
  phone_number: 'c.phone',
  created: 'c.created_at',
  birthday: 'c.birthday',
  last_updated: 'c.updated_at',
} as const;

export type OrderingField = keyof typeof ORDERING_FIELDS;

export const DEFAULT_ORDERING = '-created';
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;
/** OFFSET paging cost grows with depth; past this many rows, clients page by cursor on /v1/contacts. */
export const MAX_OFFSET = 100_000;
