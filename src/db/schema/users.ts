import { sql } from 'drizzle-orm';
import { type AnyPgColumn, boolean, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { USER_ROLES } from '../../core/enums';
import { id, oneOf, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { teams } from './teams';

/** CRM staff. manager_id forms the role hierarchy used by sharing. */
export const users = pgTable(
  'users',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: USER_ROLES }).notNull().default('member'),
    managerId: uuid('manager_id').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('users_org_email_key').on(t.orgId, sql`lower(${t.email})`),
    index('users_email_idx').on(sql`lower(${t.email})`),
    index('users_org_created_idx').on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('users_org_manager_idx').on(t.orgId, t.managerId),
    index('users_org_team_idx').on(t.orgId, t.teamId),
    oneOf('users_role_check', t.role, USER_ROLES),
  ],
);
