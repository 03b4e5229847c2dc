import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps } from './columns';
import { orgs } from './orgs';
import { pipelines } from './pipelines';

export const pipelineStages = pgTable(
  'pipeline_stages',
  {
    id: id(),
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    pipelineId: uuid('pipeline_id')
      .notNull()
      .references(() => pipelines.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    probability: integer('probability').notNull().default(0),
    isWon: boolean('is_won').notNull().default(false),
    isLost: boolean('is_lost').notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('pipeline_stages_one_won').on(t.orgId, t.pipelineId).where(sql`is_won`),
    uniqueIndex('pipeline_stages_one_lost').on(t.orgId, t.pipelineId).where(sql`is_lost`),
    uniqueIndex('pipeline_stages_position_key').on(t.orgId, t.pipelineId, t.position),
    index('pipeline_stages_pipeline_idx').on(t.pipelineId),
    check('pipeline_stages_not_won_and_lost', sql`not (is_won and is_lost)`),
    check('pipeline_stages_probability_range', sql`probability between 0 and 100`),
  ],
);
