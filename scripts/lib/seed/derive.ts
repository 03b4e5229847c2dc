// Attributes of one entity that other tables need, as SQL over its row number. A deal
// recomputes its contact's owner and company instead of joining, which keeps every load
// statement a single pass over generate_series and the data mutually consistent.
import type { SeedCtx } from './context';
import { between, createdBefore } from './people-sql';
import type { OrgPlan } from './plan';
import { at, textArray } from './sql-rand';
import { BRAND_MIDDLES, BRAND_PREFIXES, BRAND_SUFFIXES, LEGAL_FORMS, TLDS } from './vocab-business';

const BRAND_PRE = textArray(BRAND_PREFIXES);
const BRAND_MID = textArray(BRAND_MIDDLES);
const BRAND_SUF = textArray(BRAND_SUFFIXES);
const LEGAL = textArray(LEGAL_FORMS);
const TLD = textArray(TLDS);

/** Share of contacts with a primary company (and a contact_companies row). */
export const CONTACT_COMPANY_SHARE = 0.7;
/** Share of contacts with an address row. */
export const CONTACT_ADDRESS_SHARE = 0.95;
const HISTORY_DAYS = 1095;

export function contactCreated(ctx: SeedCtx, c: string): string {
  return createdBefore(ctx.r, 'c.created', c, ctx.anchor, HISTORY_DAYS);
}

/** Global company number of a contact's primary company, or NULL; big companies employ more. */
export function contactCompanyNo(ctx: SeedCtx, org: OrgPlan, c: string): string {
  const { start, count } = org.companies;
  const pick = ctx.r.skewed(c, 'c.company', count, 1.2);
  return `(CASE WHEN ${ctx.r.chance(c, 'c.has_company', CONTACT_COMPANY_SHARE)} THEN ${start} + ${pick} END)`;
}

/** Global user number of a record owner: any non-admin user, skewed (some reps own more). */
export function ownerNo(ctx: SeedCtx, org: OrgPlan, key: string, name: string): string {
  return `(${org.users.start + 1} + ${ctx.r.skewed(key, name, org.users.count - 1, 1.3)})`;
}

export function contactOwnerNo(ctx: SeedCtx, org: OrgPlan, c: string): string {
  return ownerNo(ctx, org, c, 'c.owner');
}

export function contactHasAddress(ctx: SeedCtx, c: string): string {
  return ctx.r.chance(c, 'c.has_address', CONTACT_ADDRESS_SHARE);
}

export function companyCreated(ctx: SeedCtx, co: string): string {
  return createdBefore(ctx.r, 'co.created', co, ctx.anchor, HISTORY_DAYS, 1.1);
}

/** "Novalabs": the part of a company name its domain is built from. */
export function companyBrand(ctx: SeedCtx, co: string): string {
  return [
    at(BRAND_PRE, ctx.r.skewed(co, 'co.brand.pre', BRAND_PREFIXES.length, 1.3)),
    at(BRAND_MID, ctx.r.int(co, 'co.brand.mid', BRAND_MIDDLES.length)),
    at(BRAND_SUF, ctx.r.skewed(co, 'co.brand.suf', BRAND_SUFFIXES.length, 1.3)),
  ].join(' || ');
}

export function companyName(ctx: SeedCtx, co: string): string {
  return `${companyBrand(ctx, co)} || ' ' || ${at(LEGAL, ctx.r.skewed(co, 'co.legal', LEGAL_FORMS.length, 1.6))}`;
}

export function companyDomain(ctx: SeedCtx, co: string): string {
  return `lower(${companyBrand(ctx, co)}) || ${at(TLD, ctx.r.skewed(co, 'co.tld', TLDS.length, 2.0))}`;
}

/** Contact number of a deal's contact (uniform within the org). */
export function dealContactNo(ctx: SeedCtx, org: OrgPlan, d: string): string {
  return `(${org.contacts.start} + ${ctx.r.int(d, 'd.contact', org.contacts.count)})`;
}

export function dealCompanyNo(ctx: SeedCtx, org: OrgPlan, d: string): string {
  return contactCompanyNo(ctx, org, dealContactNo(ctx, org, d));
}

/** Deals open after their contact appeared. */
export function dealCreated(ctx: SeedCtx, org: OrgPlan, d: string): string {
  return between(ctx.r, 'd.created', d, contactCreated(ctx, dealContactNo(ctx, org, d)), ctx.anchor);
}

/** Most deals belong to the contact's owner; the rest to someone else on the team. */
export function dealOwnerNo(ctx: SeedCtx, org: OrgPlan, d: string): string {
  const contactOwner = contactOwnerNo(ctx, org, dealContactNo(ctx, org, d));
  return `(CASE WHEN ${ctx.r.chance(d, 'd.owner.same', 0.7)} THEN ${contactOwner} ELSE ${ownerNo(ctx, org, d, 'd.owner')} END)`;
}

export function leadCreated(ctx: SeedCtx, l: string): string {
  return createdBefore(ctx.r, 'l.created', l, ctx.anchor, 730, 1.4);
}

/** updated_at: 60 % of rows were edited some time after creation. */
export function updatedAfter(ctx: SeedCtx, name: string, key: string, created: string): string {
  return `(CASE WHEN ${ctx.r.chance(key, `${name}.edited`, 0.6)} THEN ${between(ctx.r, `${name}.updated`, key, created, ctx.anchor)} ELSE ${created} END)`;
}

/** ~1 % soft-deleted: deleted_at after the last update. */
export function deletedAfter(ctx: SeedCtx, name: string, key: string, updated: string): string {
  return `(CASE WHEN ${isDeleted(ctx, name, key)} THEN ${between(ctx.r, `${name}.deleted_at`, key, updated, ctx.anchor)} END)`;
}

export function leadOwnerNo(ctx: SeedCtx, org: OrgPlan, l: string): string {
  return ownerNo(ctx, org, l, 'l.owner');
}

export function companyOwnerNo(ctx: SeedCtx, org: OrgPlan, co: string): string {
  return ownerNo(ctx, org, co, 'co.owner');
}

/** The draw behind deletedAfter, for setting deleted_by alongside deleted_at. */
export function isDeleted(ctx: SeedCtx, name: string, key: string): string {
  return ctx.r.chance(key, `${name}.deleted`, 0.01);
}
