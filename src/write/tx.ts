import type { Db } from '../db/client';

/**
 * `work` inside one transaction on the request's connection. `begin` is sent without waiting,
 * so it shares a round trip with the first statement (the driver pipelines), and `work` sends
 * `commit` itself (the `commit` it is given), so the last statements and the commit can share
 * one too. A failure anywhere rolls back and rethrows; the connection is the request's own, so
 * nothing else interleaves.
 */
export async function transaction<T>(db: Db, work: (commit: () => Promise<unknown>) => Promise<T>): Promise<T> {
  const begun = db.query('begin');
  begun.catch(() => {});
  try {
    const out = await work(() => db.query('commit'));
    await begun;
    return out;
  } catch (err) {
    // After a failed COMMIT there is no transaction left: the server only warns.
    await db.query('rollback').catch(() => {});
    throw err;
  }
}
