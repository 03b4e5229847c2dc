import { integer, pgTable, primaryKey, real, text, uuid } from 'drizzle-orm/pg-core';
import { orgId, timestamps } from './columns';
import { orgs } from './orgs';

/**
 * Embeddings per record. Stored as real[] so the schema works without pgvector; where the
 * extension is installed a later migration adds a vector column with an HNSW index.
 */
export const recordEmbeddings = pgTable(
  'record_embeddings',
  {
    orgId: orgId().references(() => orgs.id, { onDelete: 'cascade' }),
    objectType: text('object_type').notNull(),
    objectId: uuid('object_id').notNull(),
    model: text('model').notNull().default('client'),
    dims: integer('dims').notNull(),
    embedding: real('embedding').array().notNull(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.objectType, t.objectId, t.model] })],
);
