// Minimal valid write bodies for any writable resource, derived from its `write` spec, and an
// org whose records other records point at, created through the API once and remembered. A
// resource added to WRITABLE is covered by the suites that use this without touching them.
import type { FieldDef, ResourceDef } from '../../src/query/resource';
import { TEXT_MAX_LENGTH } from '../../src/query/resource';
import { WRITABLE } from '../../src/resources/writes';
import { createOrg, type TestOrg } from './factories';
import { tokenFor } from './http';
import { sql } from './sql';
import { send } from './write';

export const resourceNamed = (name: string): ResourceDef => {
  const r = WRITABLE.find((x) => x.name === name);
  if (!r) throw new Error(`${name} is not writable`);
  return r;
};

export const specOf = (r: ResourceDef) => {
  if (!r.write) throw new Error(`${r.name} is not writable`);
  return r.write;
};

/** Longest text a field takes after trimming. */
export const maxLengthOf = (r: ResourceDef, field: string) => specOf(r).maxLength?.[field] ?? TEXT_MAX_LENGTH;

export const isEmail = (r: ResourceDef, field: string) => specOf(r).emails?.includes(field) ?? false;

let counter = 0;
/** A number no other call in this isolate got: unique names, e-mails and stage positions. */
export const next = () => ++counter;
const tag = () => `${next()}${crypto.randomUUID().slice(0, 6)}`;

/** A valid value of a field that is not a reference (references need a record: WriteOrg.ref). */
export function sampleOf(r: ResourceDef, name: string, f: FieldDef = r.fields[name]): unknown {
  switch (f.type) {
    case 'text': {
      const max = maxLengthOf(r, name);
      if (isEmail(r, name)) return `w${tag()}@example.com`;
      if (max < 8) return 'EUR'.slice(0, max);
      return `${name} ${tag()}`.slice(0, max);
    }
    case 'enum':
      return f.values?.[0];
    case 'int':
      // Probabilities and scores are 0–100; positions are unique per pipeline.
      return name === 'position' ? next() : 40 + (next() % 50);
    case 'numeric':
      return '1234.50';
    case 'bool':
      return false;
    case 'date':
      return '2025-03-04';
    case 'timestamp':
      return '2025-03-04T05:06:07.123456Z';
    default:
      throw new Error(`${r.name}.${name}: no value for type ${f.type}`);
  }
}

/** Another valid value of the same field (for an update that must change something). */
export function otherSampleOf(r: ResourceDef, name: string, current: unknown): unknown {
  const f = r.fields[name];
  if (f.type === 'bool') return !current;
  if (f.type === 'enum') return f.values?.find((v) => v !== current);
  if (f.type === 'timestamp') return '2026-07-08T09:10:11.654321Z';
  if (f.type === 'date') return '2026-07-08';
  if (f.type === 'numeric') return '98.76';
  let v = sampleOf(r, name);
  while (v === current) v = sampleOf(r, name);
  return v;
}

/**
 * The field a generic update changes: a plain text field (not an e-mail, not set only at
 * creation, not a reference), else an int, else the first changeable field.
 */
export function patchFieldOf(r: ResourceDef): string {
  const spec = specOf(r);
  const refs = spec.references ?? {};
  const changeable = spec.fields.filter((n) => !spec.createOnly?.includes(n) && !(n in refs));
  return (
    changeable.find((n) => r.fields[n].type === 'text' && !isEmail(r, n)) ??
    changeable.find((n) => r.fields[n].type === 'int' && n !== 'position') ??
    changeable[0]
  );
}

/** References a minimal create must carry: required ones and those the table cannot leave empty. */
export function neededReferences(r: ResourceDef): Array<[string, string]> {
  const spec = specOf(r);
  return Object.entries(spec.references ?? {}).filter(([n]) => spec.required?.includes(n) || !r.fields[n].nullable);
}

export interface WriteOrg {
  org: TestOrg;
  tokens: { admin: string; manager: string; member: string };
  /** A live record of `resource` in this org (users: the org's manager), created once. */
  ref(resource: string): Promise<string>;
  /** A minimal valid create body: required fields and the references the table needs. */
  body(r: ResourceDef): Promise<Record<string, unknown>>;
  /** Creates one record through the API (admin unless told), failing loudly unless 201. */
  create(r: ResourceDef, extra?: Record<string, unknown>, token?: string): Promise<{ id: string; etag: string; generation: number; data: any }>;
}

export async function writeOrg(existing?: TestOrg): Promise<WriteOrg> {
  const org = existing ?? (await createOrg());
  const [admin, manager, member] = await Promise.all([tokenFor(org.users.admin), tokenFor(org.users.manager), tokenFor(org.users.member)]);
  const refs = new Map<string, Promise<string>>();
  const self: WriteOrg = {
    org,
    tokens: { admin, manager, member },
    ref(resource) {
      if (resource === 'users') return Promise.resolve(org.users.manager.id);
      let made = refs.get(resource);
      if (!made) {
        made = self.create(resourceNamed(resource)).then((x) => x.id);
        refs.set(resource, made);
      }
      return made;
    },
    async body(r) {
      const spec = specOf(r);
      const out: Record<string, unknown> = {};
      const refsOf = spec.references ?? {};
      for (const n of spec.required ?? []) if (!(n in refsOf)) out[n] = sampleOf(r, n);
      for (const [n, target] of neededReferences(r)) out[n] = await self.ref(target);
      return out;
    },
    async create(r, extra = {}, token = admin) {
      const res = await send('POST', `/v1/${r.name}`, { token, body: { ...(await self.body(r)), ...extra } });
      if (res.status !== 201) throw new Error(`creating ${r.name}: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.data.id, etag: res.headers.get('ETag') as string, generation: Number(res.headers.get('X-Generation')), data: res.body.data };
    },
  };
  return self;
}

/** The stored row as `to_jsonb` gives it (what the audit diff compares), or undefined. */
export async function rowOf(r: Pick<ResourceDef, 'table'>, id: string): Promise<Record<string, any> | undefined> {
  const [row] = await sql(`select to_jsonb(t) as row from ${r.table} t where id = $1`, [id]);
  return row?.row;
}

/** Rows of a resource's table in an org, and that org's audit rows: what a refused write must leave as they were. */
export async function footprint(r: ResourceDef, orgId: string): Promise<{ rows: number; audit: number; generation: number }> {
  const [x] = await sql(
    `select (select count(*)::int from ${r.table} where org_id = $1) as rows,
            (select count(*)::int from audit_log where org_id = $1) as audit,
            coalesce((select generation::int from org_generations where org_id = $1), 0) as generation`,
    [orgId],
  );
  return x as { rows: number; audit: number; generation: number };
}

export interface AuditRecord {
  action: string;
  object_type: string;
  actor_id: string;
  changes: Record<string, any> | null;
  request_id: string | null;
}

/** An object's audit rows, oldest first. */
export function auditOf(orgId: string, objectId: string): Promise<AuditRecord[]> {
  return sql<AuditRecord>('select action, object_type, actor_id, changes, request_id from audit_log where org_id = $1 and object_id = $2 order by at, id', [
    orgId,
    objectId,
  ]);
}

let sent = 0;
/**
 * Every authenticated request opens a connection before its body is validated (requireAuth's
 * prewarm) and closes it after answering, so a tight loop of refused writes opens connections
 * faster than a local Postgres (max_connections 300, shared by every test run) lets them go.
 * Loops that send hundreds of requests call this after each: every 20th waits until the
 * database's client connections are back under `max`.
 */
export async function pace(max = 60): Promise<void> {
  if (++sent % 20) return;
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'`);
    if (n <= max) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
