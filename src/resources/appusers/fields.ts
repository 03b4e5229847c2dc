import type { GENDERS } from '../../core/enums';
import type { SelectTree } from '../../query/ast';

/**
 * The seed service's contract (CRM Performance Backend, /api/v1/appusers/, Django 5.2 + DRF
 * 3.16), mapped onto contacts and their `address` and `relationships` relations. Everything
 * here is a name: the Django parameter or field and the contacts field it stands for. The
 * filters, the order and the answer's shape are compiled by the one query compiler.
 */

/** Case-insensitive "contains" on the contact (trigram-indexed columns). */
export const CONTACT_CONTAINS = { first_name: 'first_name', last_name: 'last_name', phone_number: 'phone' } as const;

/** Case-insensitive "contains" on the contact's address (a related condition: one address, all of them). */
export const ADDRESS_CONTAINS = { city: 'city', street: 'street', country: 'country' } as const;

/**
 * `ordering` takes the model's fields (DRF's `ordering_fields = "__all__"`) that the answer
 * shows, each to the contacts field whose `(org_id, field, id)` index yields its order.
 * (The model's `address` foreign key is not offered: an order by the address' random id means
 * nothing; it is ignored like any unknown field.)
 */
export const ORDERING_FIELDS = {
  id: 'id',
  first_name: 'first_name',
  last_name: 'last_name',
  gender: 'gender',
  customer_id: 'customer_id',
  phone_number: 'phone',
  created: 'created_at',
  birthday: 'birthday',
  last_updated: 'updated_at',
} as const;

export type OrderingField = keyof typeof ORDERING_FIELDS;

/**
 * The model's gender choices, by the database's value. Their order is the values' order
 * (Female < Male < Other < Prefer not to say), so `ordering=gender` sorts as the service did.
 */
export const GENDER_LABELS = {
  female: 'Female',
  male: 'Male',
  other: 'Other',
  unknown: 'Prefer not to say',
} as const satisfies Record<(typeof GENDERS)[number], string>;

/** The answer's fields, in the serializer's order, with the service's names. */
export const APPUSER_SELECT: SelectTree = {
  fields: ['id', 'first_name', 'last_name', 'gender', 'customer_id', 'phone_number:phone', 'created:created_at', 'birthday', 'last_updated:updated_at'],
  relations: [
    { name: 'address', fields: ['street', 'street_number', 'city_code', 'city', 'country'] },
    { name: 'relationships', fields: ['points', 'created:created_at', 'last_activity:last_activity_at'] },
  ],
};

export const DEFAULT_ORDERING: readonly { field: OrderingField; desc: boolean }[] = [{ field: 'created', desc: true }];
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;
/** OFFSET paging cost grows with depth; past this many rows, clients page by cursor on /v1/contacts. */
export const MAX_OFFSET = 100_000;
