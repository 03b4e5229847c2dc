import { and, eq, getTableColumns, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { noteWrite } from '../cache/generations';
import { AppError, type FieldError } from '../core/errors';
import { accessSql, referenceAccess } from '../query/access';
import type { SelectTree } from '../query/ast';
import { getRecords } from '../query/execute';
import { orgPredicate, Params } from '../query/params';
import { versionSql } from '../query/plan';
import { type ResourceDef, relationTarget } from '../query/resource';
import { type AuditEntry, diff, insertAudit, isMissingPartition, type RowJson } from './audit';
import { specOf } from './body';
import { failingRecord, writeError } from './constraints';
import { changeEvents } from './events';
import { bumpGeneration } from './generation';
import { type Orm, orm, tableOf } from './orm';
import { keepAnAdmin, ruleFor } from './rules';
import { transaction } from './tx';
import type { Change, Locked, WriteContext, WriteResult } from './types';

/** What a write needs of a resource's table: Drizzle columns by SQL name. */
interface Target {
  resource: ResourceDef;
  table: PgTable;
  columns: Map<string, PgColumn>;
  /** `to_jsonb` of the row: the audit diff's before and after. */
  json: SQL<RowJson>;
}

function targetOf(resource: ResourceDef): Target {
  const table = tableOf(resource.table);
  const columns = new Map(Object.values(getTableColumns(table)).map((c) => [c.name, c]));
  return { resource, table, columns, json: sql<RowJson>`to_jsonb(${table})` };
}

function column(t: Target, name: string): PgColumn {
  const c = t.columns.get(name);
  if (!c) throw new Error(`${t.resource.table} has no column ${name}`);
  return c;
}

/** API values → Drizzle values by column key; timestamps go as SQL casts (no Date rounding to ms). */
function toRow(t: Target, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Map(Object.entries(getTableColumns(t.table)).map(([key, c]) => [c.name, key]));
  for (const [name, value] of Object.entries(values)) {
    const f = t.resource.fields[name];
    const col = f?.column ?? name;
    const key = keys.get(col);
    if (!key) throw new Error(`${t.resource.table} has no column ${col}`);
    out[key] = value instanceof Object && !Array.isArray(value) ? value : f?.type === 'timestamp' && value !== null ? sql`${value}::timestamptz` : value;
  }
  return out;
}

export const now = sql`clock_timestamp()`;

/** Refuses a write the caller's role may not make. Members may only own what they write. */
function authorise(ctx: WriteContext, resource: ResourceDef, changes: readonly Change[]): void {
  const spec = specOf(resource);
  if (spec.adminOnly && ctx.auth.role !== 'admin') throw new AppError('forbidden', `Only admins may change ${resource.name}.`);
  if (ctx.auth.role !== 'member' || !spec.fields.includes('owner_id')) return;
  const errors: FieldError[] = changes
    .filter((c) => c.values.owner_id !== undefined && c.values.owner_id !== ctx.auth.userId)
    .map((c) => ({ path: `${c.path}owner_id`, message: 'a member may only assign records to themself' }));
  if (errors.length) throw new AppError('forbidden', 'Only admins and managers may assign records to someone else.', errors);
}

/**
 * Every referenced id must be a live record of the caller's org that the caller may read: a
 * foreign key alone would accept another org's record, and linking to a record one cannot see
 * would confirm that it exists. A contact's loyalty entry belongs to its contact, so writing one
 * takes edit access to the contact. One statement per referenced resource, all pipelined.
 */
async function checkReferences(ctx: WriteContext, resource: ResourceDef, changes: readonly Change[]): Promise<void> {
  const refs = specOf(resource).references ?? {};
  const checks = Object.entries(refs).map(async ([field, targetName]) => {
    const wanted = changes.flatMap((c) => (typeof c.values[field] === 'string' ? [{ id: c.values[field] as string, path: `${c.path}${field}` }] : []));
    if (!wanted.length) return [] as FieldError[];
    const target = relationTarget(ctx.catalog, { kind: 'one', target: targetName });
    const a = target.alias;
    const p = new Params(ctx.auth.orgId);
    const where = [orgPredicate(a), `${a}.id = any(${p.add([...new Set(wanted.map((w) => w.id))])}::uuid[])`];
    // Live: not in the trash, and for users, active (a deactivated user owns nothing new).
    if (target.softDelete) where.push(`${a}.deleted_at is null`);
    if (target.fields.is_active) where.push(`${a}.is_active`);
    const visible = accessSql(ctx.access, target, p, ctx.catalog, referenceAccess(resource, field));
    if (visible) where.push(visible);
    const found = await ctx.db.query<{ id: string }>(`select ${a}.id::text as id from ${target.table} ${a} where ${where.join(' and ')}`, p.values);
    const ok = new Set(found.rows.map((r) => r.id));
    return wanted.filter((w) => !ok.has(w.id)).map((w) => ({ path: w.path, message: `no such record in ${target.name}` }));
  });
  const errors = (await Promise.all(checks)).flat();
  if (errors.length) throw new AppError('constraint_violation', 'A referenced record does not exist in this org.', errors, undefined, 'reference_in_org');
}

/** Creates and updates of one resource, all or nothing; audit rows in the same transaction. */
export async function applyChanges(ctx: WriteContext, resource: ResourceDef, changes: Change[]): Promise<WriteResult> {
  await prepareChanges(ctx, resource, changes);
  return write(ctx, resource, (db, audit) => writeChanges(ctx, resource, changes, db, audit), [resource.name], { render: true });
}

/**
 * What every create and update passes before its statements: a create without an owner belongs
 * to its creator, the caller's role may make it, and its references are records of the org.
 * Also callable inside a transaction (lead conversion), where it sees that transaction's rows.
 */
export async function prepareChanges(ctx: WriteContext, resource: ResourceDef, changes: Change[]): Promise<void> {
  if (specOf(resource).fields.includes('owner_id')) for (const c of changes) if (!c.id && c.values.owner_id === undefined) c.values.owner_id = ctx.auth.userId;
  authorise(ctx, resource, changes);
  await checkReferences(ctx, resource, changes);
}

/** The statements of prepared changes, inside a `write` frame: lock, the resource's rule, insert, update, audit. */
export async function writeChanges(ctx: WriteContext, resource: ResourceDef, changes: Change[], db: Orm, audit: AuditEntry[]): Promise<string[]> {
  const t = targetOf(resource);
  const updates = changes.filter((c) => c.id);
  const rule = ruleFor(resource.name);
  if (rule?.beforeLock) await rule.beforeLock({ ctx, db, changes });
  const locking = lockRows(db, t, ctx, updates, { live: true });
  // Sent right behind the lock, in the same round trip; its refusal (404, 403) is the one
  // thrown, ahead of the lock's own (a 412 must not confirm a record the caller cannot read).
  const checking = checkAccess(ctx, resource, updates);
  // A rule reads the locked rows before anything is written; without one, the writes go out
  // right behind the lock, in the same round trip (the pipeline keeps their order, so the lock
  // is taken first). A lock that finds the record gone or changed (404, 412) then fails the
  // whole transaction, so what was written behind it is rolled back.
  if (rule) {
    const [, before] = await settleAll([checking, locking]);
    await rule.beforeWrite({ ctx, db, changes, before, audit });
  }
  const creates = changes.filter((c) => !c.id);
  const ids = new Map<Change, string>();
  // Ids are given here, not by the database, so an error about a row can name its record.
  for (const c of creates) c.values.id ??= crypto.randomUUID();
  const inserting = creates.length
    ? db
        .insert(t.table)
        .values(creates.map((c) => ({ ...toRow(t, c.values), [key(t, 'org_id')]: ctx.auth.orgId })))
        .returning({ row: t.json })
        // Sent now (a Drizzle query waits for its first `then`), ahead of the updates.
        .execute()
    : Promise.resolve([]);
  const updating = groupByFields(updates).map((group) => updateGroup(db, t, ctx, group));
  const [, before, created, ...updated] = await settleAll([checking, locking, inserting, ...updating]).catch((err) => {
    throw writeError(err, failingRecord(err, changes)?.path ?? '');
  });
  created.forEach(({ row }, i) => {
    ids.set(creates[i], String(row.id));
    audit.push({ action: 'create', objectType: resource.name, objectId: String(row.id), changes: diff(resource, null, row) });
  });
  for (const rows of updated) {
    for (const { row } of rows) {
      const id = String(row.id);
      const changed = diff(resource, before.get(id)?.row ?? null, row);
      // A PATCH that sets what was already there changes nothing worth a trail entry.
      if (Object.keys(changed).length) audit.push({ action: 'update', objectType: resource.name, objectId: id, changes: changed });
    }
  }
  for (const c of updates) ids.set(c, c.id as string);
  return changes.map((c) => ids.get(c) as string);
}

/** Soft delete (`deleted_at`), or a hard delete; for users, a delete deactivates. */
export async function deleteRecord(
  ctx: WriteContext,
  resource: ResourceDef,
  id: string,
  opts: { hard: boolean; ifMatch?: readonly string[] },
): Promise<WriteResult> {
  const t = targetOf(resource);
  const spec = specOf(resource);
  if (spec.adminOnly && ctx.auth.role !== 'admin') throw new AppError('forbidden', `Only admins may change ${resource.name}.`);
  if (opts.hard && ctx.auth.role !== 'admin') throw new AppError('forbidden', 'Only admins may delete for good (hard=true).');
  const change: Change = { id, values: {}, path: '', ifMatch: opts.ifMatch };
  return write(ctx, resource, async (db, audit) => {
    // A hard delete may purge a record already in the trash; a soft one needs it live.
    // Deactivating or deleting a user takes admin rights away when it is an admin.
    if (resource.name === 'users') await keepAnAdmin(db, ctx.auth.orgId, [id]);
    const [, before] = await settleAll([checkAccess(ctx, resource, [change], { trash: opts.hard }), lockRows(db, t, ctx, [change], { live: !opts.hard })]);
    const where = and(eq(column(t, 'org_id'), ctx.auth.orgId), eq(column(t, 'id'), id));
    if (opts.hard) {
      await db.delete(t.table).where(where);
      audit.push({ action: 'hard_delete', objectType: resource.name, objectId: id, changes: diff(resource, before.get(id)?.row ?? null, null) });
    } else {
      const set: Record<string, unknown> = resource.softDelete
        ? { [key(t, 'deleted_at')]: now, [key(t, 'deleted_by')]: ctx.auth.userId }
        : resource.name === 'users'
          ? { [key(t, 'is_active')]: false }
          : {};
      if (!Object.keys(set).length) {
        await db.delete(t.table).where(where);
        audit.push({ action: 'hard_delete', objectType: resource.name, objectId: id, changes: diff(resource, before.get(id)?.row ?? null, null) });
      } else {
        const [{ row }] = await db
          .update(t.table)
          .set({ ...set, [key(t, 'updated_at')]: now })
          .where(where)
          .returning({ row: t.json });
        audit.push({ action: 'delete', objectType: resource.name, objectId: id, changes: diff(resource, before.get(id)?.row ?? null, row) });
      }
    }
    return [id];
  });
}

/** Brings a soft-deleted record back; restoring a live one changes nothing. */
export async function restoreRecord(ctx: WriteContext, resource: ResourceDef, id: string): Promise<WriteResult> {
  const t = targetOf(resource);
  return write(
    ctx,
    resource,
    async (db, audit) => {
      const change: Change = { id, values: {}, path: '' };
      const [, before] = await settleAll([checkAccess(ctx, resource, [change], { trash: true }), lockRows(db, t, ctx, [change], { live: false })]);
      if (before.get(id)?.row.deleted_at == null) return [id];
      const [{ row }] = await db
        .update(t.table)
        .set({ [key(t, 'deleted_at')]: null, [key(t, 'deleted_by')]: null, [key(t, 'updated_at')]: now })
        .where(and(eq(column(t, 'org_id'), ctx.auth.orgId), eq(column(t, 'id'), id)))
        .returning({ row: t.json });
      audit.push({ action: 'restore', objectType: resource.name, objectId: id, changes: diff(resource, before.get(id)?.row ?? null, row) });
      return [id];
    },
    [resource.name],
    { render: true },
  );
}

/**
 * The frame of every write: the statements of `work` and their audit rows in one transaction,
 * the audit insert and COMMIT sent together, then the generation bump after the commit. A
 * month without an audit partition yet gets one and the write runs again (the first attempt
 * rolled back entirely).
 */
export async function write(
  ctx: WriteContext,
  resource: ResourceDef,
  work: (db: Orm, audit: AuditEntry[]) => Promise<string[]>,
  touched: readonly string[] = [resource.name],
  opts: { render?: boolean } = {},
): Promise<WriteResult> {
  const db = orm(ctx.db);
  let records: WriteResult['records'];
  let generation: Promise<number> | undefined;
  let delivering: Promise<void> | undefined;
  const attempt = () =>
    transaction(ctx.db, async (commit) => {
      const audit: AuditEntry[] = [];
      const ids = await work(db, audit);
      const logged = audit.length ? insertAudit(db, { orgId: ctx.auth.orgId, actorId: ctx.auth.userId, requestId: ctx.requestId }, audit) : null;
      // Pipelined: if the audit insert fails, the COMMIT becomes a rollback and the insert's
      // error is what rejects here.
      const committing = Promise.all([logged, commit()]);
      // Sent behind the COMMIT, so they run after it in the same round trip: the generation
      // bump (autocommit, after the change is visible) and the answer, rendered as a GET renders
      // it. If the commit fails they are dropped (a spare bump only makes caches miss).
      generation = bumpGeneration(db, ctx.auth.orgId, audit.length ? touched : []);
      // Before anyone awaiting the write sees it: this isolate's readers then never read from before it.
      generation.then(
        (g) => noteWrite(ctx.auth.orgId, g),
        () => {},
      );
      records = opts.render ? getRecords(ctx, resource, ids, { select: answerSelect(resource), deleted: 'include' }) : undefined;
      // The events' sink may send its lookup now, in the same round trip; it acts after the commit.
      const events = ctx.events && audit.length ? changeEvents(audit) : [];
      delivering = events.length ? ctx.events?.afterCommit(events, committing) : undefined;
      for (const p of [generation, records, delivering]) p?.catch(() => {});
      await committing;
      return ids;
    });
  let ids: string[];
  try {
    ids = await attempt().catch(async (err) => {
      if (!isMissingPartition(err)) throw err;
      await ctx.db.query('select ensure_audit_partition(current_date)');
      return attempt();
    });
  } catch (err) {
    throw writeError(err);
  }
  // Committed: its events are recorded and queued before the answer (the sink never rejects).
  await delivering;
  return { ids, generation: generation as Promise<number>, records };
}

/** "current transaction is aborted": a statement behind a failed one, through any wrapper. */
function isAbortedTransaction(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '25P02') return true;
  }
  return false;
}

/**
 * Awaits every promise, like Promise.all, but only after all have settled: statements sent
 * together are all answered before the first failure is thrown, so none is left unobserved.
 */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  // After one statement fails, the ones behind it in the transaction only say so (25P02): the
  // first that is not such an echo is the cause.
  const failed = failures.find((e) => !isAbortedTransaction(e)) ?? failures[0];
  if (failures.length) throw failed;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function key(t: Target, name: string): string {
  for (const [k, c] of Object.entries(getTableColumns(t.table))) if (c.name === name) return k;
  throw new Error(`${t.resource.table} has no column ${name}`);
}

/**
 * The current rows of the records a write changes, locked until the commit (so two writers of
 * one record take turns, and the second sees the first's version), checked for existence (404,
 * or 422 naming the batch record) and against `If-Match` (412).
 */
async function lockRows(db: Orm, t: Target, ctx: WriteContext, changes: readonly Change[], opts: { live: boolean }): Promise<Map<string, Locked>> {
  const out = new Map<string, Locked>();
  if (!changes.length) return out;
  const ids = changes.map((c) => c.id as string);
  const live = opts.live && t.resource.softDelete ? [isNull(column(t, 'deleted_at'))] : [];
  const rows = await db
    .select({ row: t.json, version: sql<string>`${sql.raw(versionSql(t.resource.table))}` })
    .from(t.table)
    .where(and(eq(column(t, 'org_id'), ctx.auth.orgId), ids.length === 1 ? eq(column(t, 'id'), ids[0]) : inArray(column(t, 'id'), ids), ...live))
    .for('update');
  for (const r of rows) out.set(String(r.row.id), { row: r.row, version: String(r.version) });
  const missing = changes.filter((c) => !out.has(c.id as string));
  if (missing.length) {
    if (changes.length === 1 && !changes[0].path) throw new AppError('not_found', `No such record in ${t.resource.name}.`);
    throw new AppError(
      'constraint_violation',
      `No such record in ${t.resource.name}.`,
      missing.map((c) => ({ path: `${c.path}id`, message: 'no such record' })),
    );
  }
  const stale = changes.filter((c) => c.ifMatch !== undefined && !c.ifMatch.includes(out.get(c.id as string)?.version ?? ''));
  if (stale.length) throw new AppError('precondition_failed', 'The record changed since you read it (If-Match does not match its ETag); read it again.');
  return out;
}

/** Updates that set the same fields: one statement each. */
function groupByFields(updates: readonly Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of updates) {
    const k = Object.keys(c.values).sort().join(',');
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  return [...groups.values()];
}

/**
 * One UPDATE for a group: a single record sets its values directly; several read theirs from a
 * JSON recordset joined by id (`update … from jsonb_to_recordset(…)`), one statement for all.
 */
async function updateGroup(db: Orm, t: Target, ctx: WriteContext, group: Change[]): Promise<Array<{ row: RowJson }>> {
  const org = eq(column(t, 'org_id'), ctx.auth.orgId);
  const stamp = { [key(t, 'updated_at')]: now };
  if (group.length === 1) {
    const [c] = group;
    return db
      .update(t.table)
      .set({ ...toRow(t, c.values), ...stamp })
      .where(and(org, eq(column(t, 'id'), c.id as string)))
      .returning({ row: t.json });
  }
  const names = Object.keys(group[0].values);
  const cols = names.map((n) => column(t, t.resource.fields[n]?.column ?? n));
  // Values that are SQL (derived by a rule, e.g. clock_timestamp()) cannot travel as JSON.
  if (group.some((c) => Object.values(c.values).some((v) => v instanceof Object && !Array.isArray(v)))) {
    const out: Array<{ row: RowJson }> = [];
    for (const c of group) out.push(...(await updateGroup(db, t, ctx, [c])));
    return out;
  }
  const recordset = group.map((c) => ({ id: c.id, ...Object.fromEntries(names.map((n, i) => [cols[i].name, c.values[n]])) }));
  const shape = sql.raw(['id uuid', ...cols.map((c) => `"${c.name}" ${c.getSQLType()}`)].join(', '));
  const set = Object.fromEntries(cols.map((c) => [key(t, c.name), sql`v.${sql.identifier(c.name)}`]));
  return db
    .update(t.table)
    .set({ ...set, ...stamp })
    .from(sql`jsonb_to_recordset(${JSON.stringify(recordset)}::jsonb) as v(${shape})`)
    .where(and(org, sql`${column(t, 'id')} = v.id`))
    .returning({ row: t.json });
}

/**
 * The fields a write answers: the default projection, except where that is cut for embedding
 * (customer_relationships leaves out its id and contact): there, every visible field, so the
 * client learns the id of what it created.
 */
export function answerSelect(resource: ResourceDef): SelectTree | undefined {
  if (!resource.defaultSelect) return undefined;
  return { fields: Object.keys(resource.fields).filter((n) => !resource.fields[n].hidden && !resource.fields[n].internal), relations: [] };
}

/**
 * Sharing on writes: each record changed must be one the caller may read (else it does not
 * exist for them: 404, or 422 naming it in a batch) and edit (else 403 naming it). One
 * statement with the same access conditions the reads use (src/query/access.ts); none when the
 * caller's grants cover every record of the type.
 */
export async function checkAccess(ctx: WriteContext, resource: ResourceDef, changes: readonly Change[], opts: { trash?: boolean } = {}): Promise<void> {
  if (!ctx.access || !changes.length) return;
  const p = new Params(ctx.auth.orgId);
  const read = accessSql(ctx.access, resource, p, ctx.catalog, 'read');
  const edit = accessSql(ctx.access, resource, p, ctx.catalog, 'edit');
  if (!read && !edit) return;
  const a = resource.alias;
  const ids = changes.map((c) => c.id as string);
  const live = resource.softDelete && !opts.trash ? ` and ${a}.deleted_at is null` : '';
  const { rows } = await ctx.db.query<{ id: string; editable: boolean }>(
    `select ${a}.id::text as id, ${edit ?? 'true'} as editable from ${resource.table} ${a} where ${orgPredicate(a)} and ${a}.id = any(${p.add(ids)}::uuid[])${live} and ${read ?? 'true'}`,
    p.values,
  );
  const seen = new Map(rows.map((r) => [r.id, r.editable]));
  const hidden = changes.filter((c) => !seen.has(c.id as string));
  if (hidden.length) {
    if (changes.length === 1 && !changes[0].path) throw new AppError('not_found', `No such record in ${resource.name}.`);
    throw new AppError(
      'constraint_violation',
      `No such record in ${resource.name}.`,
      hidden.map((c) => ({ path: `${c.path}id`, message: 'no such record' })),
    );
  }
  const locked = changes.filter((c) => !seen.get(c.id as string));
  if (locked.length)
    throw new AppError(
      'forbidden',
      `You may read but not change ${locked.length === 1 ? 'this record' : 'these records'} of ${resource.name}.`,
      locked.map((c) => ({ path: `${c.path}id`, message: 'read-only for you' })),
    );
}
