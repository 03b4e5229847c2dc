import { boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ACCESS_LEVELS, PRINCIPAL_TYPES, SHARED_OBJECT_TYPES, SHARING_DEFAULTS, SHARING_RULE_KINDS } from '../../core/enums';
import { id, oneOf, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { users } from './users';

/** Org-wide default access per object type. */
export const sharingSettings = pgTable(
  'sharing_settings',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    objectType: text('object_type', { enum: SHARED_OBJECT_TYPES }).notNull(),
    defaultAccess: text('default_access', { enum: SHARING_DEFAULTS }).notNull().default('private'),
    grantHierarchy: boolean('grant_hierarchy').notNull().default(true),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.objectType] }),
    oneOf('sharing_settings_object_type_check', t.objectType, SHARED_OBJECT_TYPES),
    oneOf('sharing_settings_default_check', t.defaultAccess, SHARING_DEFAULTS),
  ],
);

/**
 * Owner-based rules (records owned by principal X are shared with principal Y) and
 * criteria-based rules (records matching a filter AST are shared with principal Y).
 */
export const sharingRules = pgTable(
  'sharing_rules',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    objectType: text('object_type', { enum: SHARED_OBJECT_TYPES }).notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: SHARING_RULE_KINDS }).notNull(),
    sourceType: text('source_type', { enum: PRINCIPAL_TYPES }),
    sourceId: text('source_id'),
    criteria: jsonb('criteria'),
    targetType: text('target_type', { enum: PRINCIPAL_TYPES }).notNull(),
    targetId: text('target_id').notNull(),
    access: text('access', { enum: ACCESS_LEVELS }).notNull().default('read'),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps(),
  },
  (t) => [
    index('sharing_rules_org_object_idx').on(t.orgId, t.objectType),
    oneOf('sharing_rules_kind_check', t.kind, SHARING_RULE_KINDS),
    oneOf('sharing_rules_access_check', t.access, ACCESS_LEVELS),
    oneOf('sharing_rules_object_type_check', t.objectType, SHARED_OBJECT_TYPES),
    oneOf('sharing_rules_target_type_check', t.targetType, PRINCIPAL_TYPES),
  ],
);

/** Manual shares of one record with a user or a team. */
export const recordShares = pgTable(
  'record_shares',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    objectType: text('object_type', { enum: SHARED_OBJECT_TYPES }).notNull(),
    recordId: uuid('record_id').notNull(),
    granteeType: text('grantee_type', { enum: PRINCIPAL_TYPES }).notNull(),
    granteeId: uuid('grantee_id').notNull(),
    access: text('access', { enum: ACCESS_LEVELS }).notNull().default('read'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('record_shares_key').on(t.orgId, t.objectType, t.recordId, t.granteeType, t.granteeId),
    index('record_shares_grantee_idx').on(t.orgId, t.objectType, t.granteeType, t.granteeId, t.recordId),
    oneOf('record_shares_access_check', t.access, ACCESS_LEVELS),
    oneOf('record_shares_grantee_type_check', t.granteeType, PRINCIPAL_TYPES),
  ],
);
