import { USER_ROLES } from '../../core/enums';
import { field, type ResourceDef, stamps } from '../../query/resource';

export const users: ResourceDef = {
  name: 'users',
  table: 'users',
  alias: 'u',
  fields: {
    id: field.id(),
    email: { ...field.text('email'), nullable: false },
    name: { ...field.text('name'), nullable: false },
    role: field.enum('role', USER_ROLES),
    manager_id: field.uuid('manager_id'),
    team_id: field.uuid('team_id'),
    is_active: field.bool('is_active'),
    ...stamps,
  },
  defaultOrder: [{ field: 'created_at', dir: 'desc' }],
  softDelete: false,
  write: {
    fields: ['email', 'name', 'role', 'manager_id', 'team_id', 'is_active'],
    required: ['email', 'name'],
    adminOnly: true,
    references: { manager_id: 'users', team_id: 'teams' },
    emails: ['email'],
  },
  relations: {
    team: { kind: 'one', target: 'teams', localKey: 'team_id' },
    manager: { kind: 'one', target: 'users', localKey: 'manager_id' },
  },
};
