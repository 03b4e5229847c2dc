import { z } from '@hono/zod-openapi';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { AppError } from '../core/errors';
import { companies as companiesTable } from '../db/schema/companies';
import { leads as leadsTable } from '../db/schema/leads';
import type { Catalog, ResourceDef } from '../query/resource';
import { type AuditEntry, diff, type RowJson } from './audit';
import { bodySchemas, normalise } from './body';
import { writeError } from './constraints';
import type { Orm } from './orm';
import { checkAccess, now, prepareChanges, write, writeChanges } from './records';
import type { Change, WriteContext } from './types';

/**
 * Lead conversion: the lead becomes a contact (and, when asked, a company and a deal) in one
 * transaction, and is marked converted. Each new record goes through the same checks and rules
 * as its own create (owner, role, references in the org, a deal's stage), and is audited as a
 * create; the lead gets a `convert` row. Any refusal rolls everything back.
 */

const uuid = () =>
  z
    .guid()
    .transform((v) => v.toLowerCase())
    .openapi({ format: 'uuid' });

// Bodies derived from each resource's create body, so a conversion accepts exactly the fields a
// create would. The links conversion sets itself are left out: the contact's company comes from
// `company`, the deal's contact and company are the converted ones.
function objectOf(resource: ResourceDef): z.ZodObject {
  return bodySchemas(resource).create as unknown as z.ZodObject;
}

let cached: z.ZodType<LeadConversion> | undefined;

/** The body of `POST /v1/leads/{id}/convert`; every part optional, `{}` makes a contact only. */
export function leadConversionBody(catalog: Catalog): z.ZodType<LeadConversion> {
  if (cached) return cached;
  const contact = objectOf(catalog.contacts)
    .omit({ primary_company_id: true })
    .openapi('LeadConvertContact', { description: 'Fields of the new contact; each overrides what the lead gives (names, e-mail, phone, source, owner).' });
  const company = objectOf(catalog.companies)
    .partial()
    .extend({ id: uuid().optional().openapi({ description: 'Link this existing company instead of creating one.' }) })
    .superRefine((v, ctx) => {
      if (v.id !== undefined && Object.keys(v).length > 1) ctx.addIssue({ code: 'custom', path: ['id'], message: 'with id, nothing else: the company exists' });
    })
    .openapi('LeadConvertCompany', {
      description: "`{id}` links an existing company of the org; otherwise a new company, its name defaulting to the lead's company_name.",
    });
  const deal = objectOf(catalog.deals)
    .omit({ contact_id: true, company_id: true })
    .openapi('LeadConvertDeal', { description: 'A new deal for the contact (and company): default pipeline and first stage unless named.' });
  cached = z
    .strictObject({ contact: contact.optional(), company: company.optional(), deal: deal.optional() })
    .openapi('LeadConvert') as unknown as z.ZodType<LeadConversion>;
  return cached;
}

export interface LeadConversion {
  contact?: Record<string, unknown>;
  company?: Record<string, unknown> & { id?: string };
  deal?: Record<string, unknown>;
}

/** The records a conversion wrote (or linked), by role. */
export interface ConvertedIds {
  lead: string;
  contact: string;
  company?: string;
  deal?: string;
}

// What a new contact takes from the lead, field for field.
const FROM_LEAD = ['first_name', 'last_name', 'email', 'phone', 'source', 'owner_id'] as const;

export async function convertLead(ctx: WriteContext, leadId: string, body: LeadConversion): Promise<{ ids: ConvertedIds; generation: Promise<number> }> {
  const { leads, contacts, companies, deals } = ctx.catalog;
  const newCompany = body.company !== undefined && body.company.id === undefined;
  const touched = ['leads', 'contacts', ...(newCompany ? ['companies'] : []), ...(body.deal ? ['deals'] : [])];
  let ids: ConvertedIds | undefined;
  const result = await write(
    ctx,
    leads,
    async (db, audit) => {
      const lead = await lockLead(db, ctx, leadId);
      const fromLead = Object.fromEntries(FROM_LEAD.flatMap((f) => (lead[f] == null ? [] : [[f, lead[f]]])));
      const contactValues: Record<string, unknown> = { ...fromLead, ...normalise(contacts, body.contact ?? {}) };
      // What the conversion creates besides the contact belongs to the contact's owner unless the body says otherwise.
      const owner = contactValues.owner_id;
      let companyId: string | undefined;
      if (body.company?.id !== undefined) companyId = await linkableCompany(db, ctx, body.company.id);
      else if (body.company)
        companyId = await create(ctx, db, audit, companies, { owner_id: owner, ...newCompanyValues(companies, lead, body.company) }, 'company.');
      if (companyId) contactValues.primary_company_id = companyId;
      const contactId = await create(ctx, db, audit, contacts, contactValues, 'contact.');
      let dealId: string | undefined;
      if (body.deal) {
        const values = { owner_id: owner, ...normalise(deals, body.deal), contact_id: contactId, ...(companyId ? { company_id: companyId } : {}) };
        dealId = await create(ctx, db, audit, deals, values, 'deal.');
      }
      const [{ row }] = await db
        .update(leadsTable)
        .set({ status: 'converted', convertedContactId: contactId, updatedAt: now })
        .where(and(eq(leadsTable.orgId, ctx.auth.orgId), eq(leadsTable.id, leadId)))
        .returning({ row: sql<RowJson>`to_jsonb(${leadsTable})` });
      audit.push({ action: 'convert', objectType: leads.name, objectId: leadId, changes: diff(leads, lead, row) });
      ids = { lead: leadId, contact: contactId, ...(companyId ? { company: companyId } : {}), ...(dealId ? { deal: dealId } : {}) };
      return [leadId];
    },
    touched,
  );
  return { ids: ids as ConvertedIds, generation: result.generation };
}

/** A new company's fields: the body's, its name defaulting to the lead's company_name. */
function newCompanyValues(companies: ResourceDef, lead: RowJson, body: Record<string, unknown>): Record<string, unknown> {
  const values = normalise(companies, body);
  const fallback = typeof lead.company_name === 'string' ? lead.company_name.trim() : '';
  if (values.name === undefined && fallback) values.name = fallback;
  if (values.name === undefined)
    throw new AppError(
      'constraint_violation',
      'The new company needs a name: the lead has no company_name.',
      [{ path: 'company.name', message: 'required: the lead has no company_name' }],
      undefined,
      'company_name_required',
    );
  return values;
}

/** The lead, locked until the commit (so of two conversions one waits and finds it converted). */
async function lockLead(db: Orm, ctx: WriteContext, id: string): Promise<RowJson> {
  // Converting changes the lead: the caller must be allowed to edit it (sharing).
  await checkAccess(ctx, ctx.catalog.leads, [{ id, values: {}, path: '' }]);
  const [found] = await db
    .select({ row: sql<RowJson>`to_jsonb(${leadsTable})` })
    .from(leadsTable)
    .where(and(eq(leadsTable.orgId, ctx.auth.orgId), eq(leadsTable.id, id), isNull(leadsTable.deletedAt)))
    .for('update');
  if (!found) throw new AppError('not_found', 'No such record in leads.');
  const lead = found.row;
  if (lead.status === 'converted' || lead.converted_contact_id != null)
    throw new AppError('conflict', 'This lead is already converted.', [{ path: 'id', message: 'already converted' }], undefined, 'lead_already_converted');
  return lead;
}

/** An existing company to link: a live one of the org, kept from being deleted until the commit. */
async function linkableCompany(db: Orm, ctx: WriteContext, id: string): Promise<string> {
  const [found] = await db
    .select({ id: companiesTable.id })
    .from(companiesTable)
    .where(and(eq(companiesTable.orgId, ctx.auth.orgId), eq(companiesTable.id, id), isNull(companiesTable.deletedAt)))
    .for('key share');
  if (!found)
    throw new AppError(
      'constraint_violation',
      'A referenced record does not exist in this org.',
      [{ path: 'company.id', message: 'no such record in companies' }],
      undefined,
      'reference_in_org',
    );
  return found.id;
}

/** One record through its resource's own checks and rule, inside the conversion's transaction. */
async function create(ctx: WriteContext, db: Orm, audit: AuditEntry[], resource: ResourceDef, values: Record<string, unknown>, path: string): Promise<string> {
  const change: Change = { values: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)), path };
  await prepareChanges(ctx, resource, [change]);
  try {
    const [id] = await writeChanges(ctx, resource, [change], db, audit);
    return id;
  } catch (err) {
    // A rule the database keeps, named at this record's path (`deal.value`).
    throw writeError(err, path);
  }
}
