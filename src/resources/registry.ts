import type { ResourceDef } from '../query/resource';
import { activities } from './activities/resource';
import { companies } from './companies/resource';
import { contacts } from './contacts/resource';
import { deals } from './deals/resource';
import { leads } from './leads/resource';
import { pipelines } from './pipelines/resource';
import { tags } from './tags/resource';
import { teams } from './teams/resource';
import { users } from './users/resource';

/** Every listable resource, by its URL name (/v1/{name}, /rest/v1/{name}). */
export const RESOURCES: Record<string, ResourceDef> = { contacts, companies, leads, deals, activities, pipelines, users, teams, tags };
