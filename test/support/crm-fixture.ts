// One small, complete CRM in a fresh org: a record of every resource, linked together.
import { createContacts, createOrg, type TestOrg } from './factories';
import { withClient } from './sql';

export interface CrmFixture {
  org: TestOrg;
  ids: Record<'contact' | 'company' | 'lead' | 'deal' | 'activity' | 'pipeline' | 'stage' | 'team' | 'tag', string>;
}

export async function createCrmFixture(): Promise<CrmFixture> {
  const org = await createOrg();
  const [contact] = await createContacts(org.id, [{ first_name: 'Fixture', last_name: 'Person' }]);
  return withClient(async (c) => {
    const one = async (text: string, values: unknown[]) => (await c.query<{ id: string }>(text, values)).rows[0].id;
    const team = await one(`insert into teams (org_id, name) values ($1, 'Sales') returning id`, [org.id]);
    await c.query(`update users set team_id = $1 where org_id = $2`, [team, org.id]);
    const company = await one(
      `insert into companies (org_id, name, domain, industry, annual_revenue, owner_id) values ($1, 'Fixture Corp', 'fixture.example', 'Software', 1000000, $2) returning id`,
      [org.id, org.users.admin.id],
    );
    const pipeline = await one(`insert into pipelines (org_id, name, is_default) values ($1, 'Sales', true) returning id`, [org.id]);
    const stage = await one(`insert into pipeline_stages (org_id, pipeline_id, name, position, probability) values ($1, $2, 'Qualify', 0, 20) returning id`, [
      org.id,
      pipeline,
    ]);
    await c.query(`insert into pipeline_stages (org_id, pipeline_id, name, position, probability, is_won) values ($1, $2, 'Won', 1, 100, true)`, [
      org.id,
      pipeline,
    ]);
    const deal = await one(
      `insert into deals (org_id, name, value, probability, pipeline_id, stage_id, contact_id, company_id, owner_id, expected_close_date) values ($1, 'Fixture renewal', 1234.50, 20, $2, $3, $4, $5, $6, '2026-12-31') returning id`,
      [org.id, pipeline, stage, contact, company, org.users.member.id],
    );
    const lead = await one(
      `insert into leads (org_id, first_name, last_name, email, company_name, score, owner_id) values ($1, 'Lead', 'Fixture', 'lead@fixture.example', 'Fixture Corp', 42, $2) returning id`,
      [org.id, org.users.member.id],
    );
    const activity = await one(
      `insert into activities (org_id, type, subject, status, priority, due_at, contact_id, deal_id, owner_id) values ($1, 'call', 'Fixture call', 'pending', 'high', '2026-12-01T10:00:00Z', $2, $3, $4) returning id`,
      [org.id, contact, deal, org.users.member.id],
    );
    const tag = await one(`insert into tags (org_id, name, color) values ($1, 'fixture', '#ff0000') returning id`, [org.id]);
    for (const [link, entity] of [
      ['contact_tags', contact],
      ['company_tags', company],
      ['deal_tags', deal],
      ['lead_tags', lead],
    ] as const) {
      await c.query(`insert into ${link} (org_id, entity_id, tag_id) values ($1, $2, $3)`, [org.id, entity, tag]);
    }
    return { org, ids: { contact, company, lead, deal, activity, pipeline, stage, team, tag } };
  });
}
