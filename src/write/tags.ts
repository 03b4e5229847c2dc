import { and, eq, isNull } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { AppError } from '../core/errors';
import { type contactTags, tags } from '../db/schema/tags';
import type { ResourceDef } from '../query/resource';
import { columnOf, type Orm, tableOf } from './orm';
import { checkAccess, write } from './records';
import type { WriteContext, WriteResult } from './types';

/**
 * Tags on a record: one row in the resource's link table (`contact_tags`, …). Linking is
 * idempotent (a second link changes nothing and audits nothing); unlinking what is not linked
 * is a 404. Both are audited on the record (`tag` / `untag`) and move the org's generation,
 * since a record's tags are part of how it reads (`select=tags(name)`, `tags=cs.{vip}`).
 */

// Every link table is built by one function in db/schema/tags.ts, so they share one shape.
type LinkTable = typeof contactTags;

function linkTableOf(resource: ResourceDef): LinkTable {
  if (!resource.tagLinks) throw new Error(`${resource.name} takes no tags`);
  return tableOf(resource.tagLinks) as LinkTable;
}

/** Links a tag to a record; answers whether this call made the link. */
export async function linkTag(ctx: WriteContext, resource: ResourceDef, id: string, tagId: string): Promise<WriteResult & { added: boolean }> {
  const link = linkTableOf(resource);
  let added = false;
  const result = await write(ctx, resource, async (db, audit) => {
    await checkBoth(db, ctx, resource, id, tagId);
    const rows = await db
      .insert(link)
      .values({ orgId: ctx.auth.orgId, entityId: id, tagId })
      .onConflictDoNothing({ target: [link.entityId, link.tagId] })
      .returning({ tagId: link.tagId });
    added = rows.length > 0;
    if (added) audit.push({ action: 'tag', objectType: resource.name, objectId: id, changes: { tags: { added: tagId } } });
    return [id];
  });
  return { ...result, added };
}

/** Takes a tag off a record; a 404 when it was not on it. */
export async function unlinkTag(ctx: WriteContext, resource: ResourceDef, id: string, tagId: string): Promise<WriteResult> {
  const link = linkTableOf(resource);
  return write(ctx, resource, async (db, audit) => {
    await checkBoth(db, ctx, resource, id, tagId);
    const rows = await db
      .delete(link)
      .where(and(eq(link.orgId, ctx.auth.orgId), eq(link.entityId, id), eq(link.tagId, tagId)))
      .returning({ tagId: link.tagId });
    if (!rows.length) throw new AppError('not_found', 'This tag is not on the record.');
    audit.push({ action: 'untag', objectType: resource.name, objectId: id, changes: { tags: { removed: tagId } } });
    return [id];
  });
}

/**
 * The record (live) and the tag must both be the caller's org's: a foreign key alone would link
 * another org's tag. Both rows are held against deletion until the commit (`for key share`,
 * which blocks no update); the two statements share a round trip.
 */
async function checkBoth(db: Orm, ctx: WriteContext, resource: ResourceDef, id: string, tagId: string): Promise<void> {
  // Tagging changes the record: the caller must be allowed to edit it (sharing).
  await checkAccess(ctx, resource, [{ id, values: {}, path: '' }]);
  const table = tableOf(resource.table);
  const col = (name: string): PgColumn => columnOf(table, name);
  const live = resource.softDelete ? [isNull(col('deleted_at'))] : [];
  const [record, tag] = await Promise.all([
    db
      .select({ id: col('id') })
      .from(table)
      .where(and(eq(col('org_id'), ctx.auth.orgId), eq(col('id'), id), ...live))
      .for('key share'),
    db
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.orgId, ctx.auth.orgId), eq(tags.id, tagId)))
      .for('key share'),
  ]);
  if (!record.length) throw new AppError('not_found', `No such record in ${resource.name}.`);
  if (!tag.length) throw new AppError('not_found', 'No such tag.');
}
