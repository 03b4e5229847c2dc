import type { Catalog, ResourceDef } from '../query/resource';
import { activities } from './activities/resource';
import { addresses } from './common/addresses';
import { companies } from './companies/resource';
import { customerRelationships } from './contacts/relationships';
import { contacts } from './contacts/resource';
import { deals } from './deals/resource';
import { leads } from './leads/resource';
import { pipelines, stages } from './pipelines/resource';
import { tags } from './tags/resource';
import { teams } from './teams/resource';
import { users } from './users/resource';

/** Every listable resource, by its URL name (/v1/{name}, /rest/v1/{name}). */
export const RESOURCES: Record<string, ResourceDef> = { contacts, companies, leads, deals, activities, pipelines, users, teams, tags };

/** Every declared resource by name, the embedded-only ones too (addresses, stages, customer_relationships): what relations resolve through. */
export const CATALOG: Catalog = { ...RESOURCES, addresses, stages, customer_relationships: customerRelationships };
