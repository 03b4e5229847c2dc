import type { BenchContext } from './context';

/**
 * Search terms taken from the data itself, so they stay meaningful whatever the dataset
 * size: the seed is deterministic, so the same parameters give the same terms every run.
 */
async function first(ctx: BenchContext, sql: string): Promise<string> {
  const { rows } = await ctx.pg.query<{ v: string }>(sql, [ctx.auth.orgId]);
  if (!rows[0]?.v) throw new Error(`no search term found by: ${sql}`);
  return rows[0].v;
}

/** The org's rarest surname of ≥ 6 letters (ties broken by name): a rare trigram term. */
export async function findRareSurname(ctx: BenchContext): Promise<void> {
  if (ctx.found.has('trgm.rare')) return;
  const name = await first(
    ctx,
    `select lower(last_name) as v from contacts where org_id = $1 and deleted_at is null and length(last_name) >= 6
      group by lower(last_name) order by count(*), lower(last_name) limit 1`,
  );
  ctx.found.set('trgm.rare', name);
}

/** The org's most common first name (one word) and that plus its most common surname (two). */
export async function findCommonWords(ctx: BenchContext): Promise<void> {
  if (ctx.found.has('fts.one')) return;
  const firstName = await first(
    ctx,
    `select lower(first_name) as v from contacts where org_id = $1 and deleted_at is null and first_name is not null
      group by lower(first_name) order by count(*) desc, lower(first_name) limit 1`,
  );
  const lastName = await first(
    ctx,
    `select lower(last_name) as v from contacts where org_id = $1 and deleted_at is null and last_name is not null
      group by lower(last_name) order by count(*) desc, lower(last_name) limit 1`,
  );
  ctx.found.set('fts.one', firstName);
  ctx.found.set('fts.two', `${firstName} ${lastName}`);
}
