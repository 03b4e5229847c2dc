import type { BaselineFactory, BenchContext } from '../context';
import { containsPattern, type NaiveList, runNaiveList, unindexedContains } from './naive';

/**
 * Naive baselines for the /v1/contacts scenarios. The db floors need the list verb of
 * src/resources/contacts to be importable from Node (as appusers' is); until then these
 * scenarios report no db floor.
 */
const NEWEST = 'c.created_at desc, c.id desc';
/** The seed's search: icontains over the person's name, email and phone, OR-ed. */
const SEARCHED = ['c.first_name', 'c.last_name', 'c.email', 'c.phone'];

export interface NaiveShape {
  where?: (add: (v: unknown) => string, ctx: BenchContext) => string[];
  orderBy?: string;
  limit?: number;
  offset?: (ctx: BenchContext) => number;
}

function build(shape: NaiveShape, ctx: BenchContext): NaiveList {
  const values: unknown[] = [ctx.auth.orgId];
  const add = (v: unknown) => `$${values.push(v)}`;
  const where = ['c.org_id = $1', 'c.deleted_at is null', ...(shape.where?.(add, ctx) ?? [])];
  return { from: 'contacts c', where, values, orderBy: shape.orderBy ?? NEWEST, limit: shape.limit ?? 25, offset: shape.offset?.(ctx) ?? 0 };
}

export function contactsNaive(shape: NaiveShape): BaselineFactory {
  return async (ctx) => {
    const spec = build(shape, ctx);
    return () => runNaiveList(ctx.pg, spec);
  };
}

/** Every word must appear in one of the searched columns (no ranking: the seeds had none). */
export function naiveSearch(term: (ctx: BenchContext) => string): NaiveShape {
  return {
    where: (add, ctx) =>
      term(ctx)
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => {
          const p = add(containsPattern(word));
          return `(${SEARCHED.map((col) => unindexedContains(col, p)).join(' or ')})`;
        }),
  };
}
