import { env } from 'cloudflare:test';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { auditLog } from '../../src/db/schema/audit-log';
import { insertAudit, isMissingPartition } from '../../src/write/audit';
import { orm } from '../../src/write/orm';
import { createOrg } from '../support/factories';

// A write whose month has no audit partition is retried once the partition exists
// (records.ts). Whether an error is that one is read through every wrapper the error gets on
// its way up: Drizzle's DrizzleQueryError → our mapped AppError → the driver's error.
describe('an audit row for a month without a partition', () => {
  const db = createDb(env as never, () => {});
  afterAll(() => db.close());

  it('is recognised through the wrappers, and a constraint error is not', async () => {
    const org = await createOrg();
    const far = orm(db)
      .insert(auditLog)
      .values({ orgId: org.id, at: new Date('2199-01-01T00:00:00Z'), action: 'update', objectType: 'contacts', objectId: org.id });
    const err = await far.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isMissingPartition(err)).toBe(true);
    const other = await insertAudit(orm(db), { orgId: org.id, actorId: org.users.admin.id, requestId: 'r' }, [
      { action: 'update', objectType: 'contacts', objectId: 'not-a-uuid', changes: null },
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(other).not.toBeNull();
    expect(isMissingPartition(other)).toBe(false);
  });
});
