import { type AnyPgColumn, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, timestamps } from './columns';
import { companies } from './companies';
import { contacts } from './contacts';
import { deals } from './deals';
import { leads } from './leads';
import { orgs } from './orgs';

export const tags = pgTable(
  'tags',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    color: text('color'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('tags_org_name_key').on(t.orgId, t.name),
    index('tags_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);

/**
 * One link table per tagged entity, so a tag filter is an indexed semi-join:
 * (org_id, tag_id, entity) finds the entities with a tag, the primary key the tags of an entity.
 */
function tagLinks(name: string, entity: { id: AnyPgColumn }) {
  return pgTable(
    name,
    {
      orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
      entityId: uuid('entity_id')
        .notNull()
        .references(() => entity.id, { onDelete: 'cascade' }),
      tagId: uuid('tag_id')
        .notNull()
        .references(() => tags.id, { onDelete: 'cascade' }),
      createdAt: createdAt(),
    },
    (t) => [primaryKey({ columns: [t.entityId, t.tagId] }), index(`${name}_org_tag_idx`).on(t.orgId, t.tagId, t.entityId)],
  );
}

export const contactTags = tagLinks('contact_tags', contacts);
export const companyTags = tagLinks('company_tags', companies);
export const leadTags = tagLinks('lead_tags', leads);
export const dealTags = tagLinks('deal_tags', deals);
