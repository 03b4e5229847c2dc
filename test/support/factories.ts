// Realistic records in a fresh org per test, so tests never step on each other.
import { withClient } from './sql';

export interface TestOrg {
  id: string;
  slug: string;
  users: { admin: TestUser; manager: TestUser; member: TestUser };
}
export interface TestUser {
  id: string;
  role: 'admin' | 'manager' | 'member';
  orgId: string;
}

export async function createOrg(): Promise<TestOrg> {
  return withClient(async (c) => {
    const slug = `t-${crypto.randomUUID().slice(0, 8)}`;
    const org = (await c.query<{ id: string }>(`insert into orgs (slug, name) values ($1, $2) returning id`, [slug, `Test ${slug}`])).rows[0];
    const mk = async (role: TestUser['role'], managerId: string | null): Promise<TestUser> => {
      const { rows } = await c.query<{ id: string }>(`insert into users (org_id, email, name, role, manager_id) values ($1, $2, $3, $4, $5) returning id`, [
        org.id,
        `${role}@${slug}.test`,
        `${role} ${slug}`,
        role,
        managerId,
      ]);
      return { id: rows[0].id, role, orgId: org.id };
    };
    const admin = await mk('admin', null);
    const manager = await mk('manager', admin.id);
    const member = await mk('member', manager.id);
    return { id: org.id, slug, users: { admin, manager, member } };
  });
}

export interface ContactInput {
  first_name?: string | null;
  last_name?: string | null;
  gender?: string | null;
  customer_id?: string;
  phone?: string | null;
  email?: string | null;
  birthday?: string | null;
  created_at?: string;
  updated_at?: string;
  deleted_at?: string | null;
  address?: { street?: string; street_number?: string; city_code?: string; city?: string; country?: string } | null;
  relationships?: Array<{ points: number; created_at: string; last_activity_at?: string | null }>;
}

/** Inserts contacts (with address and relationships) and returns their ids in input order. */
export async function createContacts(orgId: string, inputs: ContactInput[]): Promise<string[]> {
  return withClient(async (c) => {
    const ids: string[] = [];
    for (const [i, x] of inputs.entries()) {
      let addressId: string | null = null;
      if (x.address !== null) {
        const a = x.address ?? {};
        addressId = (
          await c.query<{ id: string }>(
            `insert into addresses (org_id, street, street_number, city_code, city, country) values ($1,$2,$3,$4,$5,$6) returning id`,
            [orgId, a.street ?? 'Main Street', a.street_number ?? '1', a.city_code ?? 'LON', a.city ?? 'London', a.country ?? 'United Kingdom'],
          )
        ).rows[0].id;
      }
      const created = x.created_at ?? new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
      const { rows } = await c.query<{ id: string }>(
        `insert into contacts (org_id, first_name, last_name, gender, customer_id, phone, email, birthday, address_id, created_at, updated_at, deleted_at)
         values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) returning id`,
        [
          orgId,
          x.first_name === undefined ? `First${i}` : x.first_name,
          x.last_name === undefined ? `Last${i}` : x.last_name,
          x.gender === undefined ? 'female' : x.gender,
          x.customer_id ?? `C-${crypto.randomUUID().slice(0, 12)}`,
          x.phone === undefined ? `+44 20 7946 ${String(1000 + i).padStart(4, '0')}` : x.phone,
          x.email === undefined ? `person${i}@example.com` : x.email,
          x.birthday === undefined ? '1990-01-01' : x.birthday,
          addressId,
          created,
          x.updated_at ?? created,
          x.deleted_at ?? null,
        ],
      );
      ids.push(rows[0].id);
      for (const r of x.relationships ?? []) {
        await c.query(`insert into customer_relationships (org_id, contact_id, points, created_at, last_activity_at) values ($1,$2,$3,$4,$5)`, [
          orgId,
          rows[0].id,
          r.points,
          r.created_at,
          r.last_activity_at ?? null,
        ]);
      }
    }
    return ids;
  });
}

/**
 * A pipeline with its stages in order (a name, or [name, is_won, is_lost]); returns the pipeline
 * id and the stages' ids in order.
 */
export async function createPipeline(
  orgId: string,
  stages: ReadonlyArray<string | readonly [string, boolean, boolean]>,
): Promise<{ id: string; stages: string[] }> {
  return withClient(async (c) => {
    const { rows } = await c.query<{ id: string }>(`insert into pipelines (org_id, name, is_default) values ($1, 'Sales', true) returning id`, [orgId]);
    const ids: string[] = [];
    for (const [i, stage] of stages.entries()) {
      const [name, won, lost] = typeof stage === 'string' ? [stage, false, false] : stage;
      const made = await c.query<{ id: string }>(
        `insert into pipeline_stages (org_id, pipeline_id, name, position, is_won, is_lost) values ($1, $2, $3, $4, $5, $6) returning id`,
        [orgId, rows[0].id, name, i + 1, won, lost],
      );
      ids.push(made.rows[0].id);
    }
    return { id: rows[0].id, stages: ids };
  });
}
