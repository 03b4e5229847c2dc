// Contacts, companies and their addresses: the biggest, widest tables. One statement per
// chunk of an org's row numbers; org-level numbers are literals in the SQL.
import { adminIdOf, idOf, orgIdOf, type SeedCtx } from './context';
import {
  companyCreated,
  companyDomain,
  companyName,
  companyOwnerNo,
  contactCompanyNo,
  contactCreated,
  contactHasAddress,
  contactOwnerNo,
  deletedAfter,
  isDeleted,
  updatedAfter,
} from './derive';
import { cityIndex, emailLocal, firstName, freeMailDomain, GENDER_TEXT, genderIndex, lastName, phoneNumber } from './people-sql';
import { CITY_CODES, CITY_COUNTRIES, CITY_NAMES, postalCode, streetName, streetNumber } from './place-sql';
import type { OrgPlan } from './plan';
import { CHRONOLOGICAL, insertSelect, level, series } from './sql-build';
import { at, intArray, textArray } from './sql-rand';
import { INDUSTRIES, SIZE_BANDS } from './vocab-business';

const INDUSTRY = textArray(INDUSTRIES);
const BAND = textArray(SIZE_BANDS.map(([band]) => band));
const BAND_REVENUE = intArray(SIZE_BANDS.map(([, , revenue]) => revenue / 1000));

/** Address columns for a city index `city` and key `key` (street, number, postal code…). */
function addressCols(ctx: SeedCtx, org: OrgPlan, ns: string, kind: 'contact_address' | 'company_address') {
  return {
    id: idOf(ctx, kind, 'key'),
    org_id: orgIdOf(ctx, org),
    street: streetName(ctx.r, ns, 'key', 'city'),
    street_number: streetNumber(ctx.r, ns, 'key'),
    city_code: at(CITY_CODES, 'city'),
    city: at(CITY_NAMES, 'city'),
    postal_code: postalCode(ctx.r, ns, 'key', 'city'),
    country: at(CITY_COUNTRIES, 'city'),
    created_at: 'created',
    updated_at: 'created',
  };
}

/** A contact's address lives in the city its phone number belongs to. */
export function contactAddressesSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const from = level(
    'b',
    'i AS key',
    series(lo, hi),
    {
      city: cityIndex(ctx.r, 'c', 'i'),
      created: contactCreated(ctx, 'i'),
    },
    contactHasAddress(ctx, 'i'),
  );
  return insertSelect('addresses', addressCols(ctx, org, 'ca', 'contact_address'), from, CHRONOLOGICAL);
}

export function companyAddressesSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const from = level('b', 'j AS key', series(lo, hi, 'j'), {
    city: cityIndex(ctx.r, 'co', 'j'),
    created: companyCreated(ctx, 'j'),
  });
  return insertSelect('addresses', addressCols(ctx, org, 'coa', 'company_address'), from, CHRONOLOGICAL);
}

export function companiesSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const b = level('b', 'j', series(lo, hi, 'j'), {
    band: r.weighted(
      'j',
      'co.size',
      SIZE_BANDS.map(([, weight], n) => [String(n), weight]),
    ),
    created: companyCreated(ctx, 'j'),
  });
  const u = level('u', 'b.*', b, { updated: updatedAfter(ctx, 'co', 'j', 'created') });
  const revenue = `round((${at(BAND_REVENUE, 'band')}::numeric * 1000 * (0.3 + 1.4 * ${r.unit('j', 'co.revenue')})::numeric), 2)`;
  return insertSelect(
    'companies',
    {
      id: idOf(ctx, 'company', 'j'),
      org_id: orgIdOf(ctx, org),
      name: companyName(ctx, 'j'),
      domain: `CASE WHEN ${r.chance('j', 'co.has_domain', 0.92)} THEN ${companyDomain(ctx, 'j')} END`,
      industry: `CASE WHEN ${r.chance('j', 'co.has_industry', 0.9)} THEN ${at(INDUSTRY, r.skewed('j', 'co.industry', INDUSTRIES.length, 1.4))} END`,
      size_band: at(BAND, 'band'),
      annual_revenue: `CASE WHEN ${r.chance('j', 'co.has_revenue', 0.8)} THEN ${revenue} END`,
      address_id: idOf(ctx, 'company_address', 'j'),
      owner_id: idOf(ctx, 'user', companyOwnerNo(ctx, org, 'j')),
      created_at: 'created',
      updated_at: 'updated',
      deleted_at: deletedAfter(ctx, 'co', 'j', 'updated'),
      deleted_by: `CASE WHEN ${isDeleted(ctx, 'co', 'j')} THEN ${adminIdOf(ctx, org)} END`,
    },
    u,
    CHRONOLOGICAL,
  );
}

/** Levels computing each contact's draws once: gender, city, company, names, times. */
function contactLevels(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const b = level('b', 'i', series(lo, hi), {
    g: genderIndex(r, 'c', 'i'),
    city: cityIndex(r, 'c', 'i'),
    co: contactCompanyNo(ctx, org, 'i'),
    created: contactCreated(ctx, 'i'),
  });
  return level('p', 'b.*', b, {
    fn: firstName(r, 'c', 'i', 'g'),
    ln: lastName(r, 'c', 'i'),
    fa: firstName(r, 'c', 'i', 'g', true),
    la: lastName(r, 'c', 'i', true),
    updated: updatedAfter(ctx, 'c', 'i', 'created'),
  });
}

export function contactsSql(ctx: SeedCtx, org: OrgPlan, lo: number, hi: number): string {
  const { r } = ctx;
  const digits = Math.max(6, String(org.contacts.count).length);
  const domain = `CASE WHEN co IS NOT NULL AND ${r.chance('i', 'c.work_email', 0.35)} THEN ${companyDomain(ctx, 'co')} ELSE ${freeMailDomain(r, 'c', 'i')} END`;
  return insertSelect(
    'contacts',
    {
      id: idOf(ctx, 'contact', 'i'),
      org_id: orgIdOf(ctx, org),
      first_name: 'fn',
      last_name: 'ln',
      email: `CASE WHEN ${r.chance('i', 'c.has_email', 0.97)} THEN ${emailLocal(r, 'c', 'i', 'fa', 'la')} || '@' || ${domain} END`,
      phone: `CASE WHEN ${r.chance('i', 'c.has_phone', 0.9)} THEN ${phoneNumber(r, 'c', 'i', 'city')} END`,
      gender: at(GENDER_TEXT, 'g'),
      customer_id: `'CUST-' || lpad((i - ${org.contacts.start - 1})::text, ${digits}, '0')`,
      birthday: `CASE WHEN ${r.chance('i', 'c.has_birthday', 0.92)} THEN date '1950-01-01' + ${r.int('i', 'c.birthday', 20818)}::int END`,
      status: r.weighted('i', 'c.status', [
        ["'active'", 80],
        ["'inactive'", 15],
        ["'archived'", 5],
      ]),
      lifecycle_stage: r.weighted('i', 'c.lifecycle', [
        ["'subscriber'", 30],
        ["'lead'", 25],
        ["'mql'", 12],
        ["'sql'", 8],
        ["'opportunity'", 8],
        ["'customer'", 15],
        ["'evangelist'", 2],
      ]),
      source: sourceExpr(ctx, 'i', 'c.source'),
      address_id: `CASE WHEN ${contactHasAddress(ctx, 'i')} THEN ${idOf(ctx, 'contact_address', 'i')} END`,
      primary_company_id: `CASE WHEN co IS NOT NULL THEN ${idOf(ctx, 'company', 'co')} END`,
      owner_id: idOf(ctx, 'user', contactOwnerNo(ctx, org, 'i')),
      created_at: 'created',
      updated_at: 'updated',
      deleted_at: deletedAfter(ctx, 'c', 'i', 'updated'),
      deleted_by: `CASE WHEN ${isDeleted(ctx, 'c', 'i')} THEN ${adminIdOf(ctx, org)} END`,
    },
    contactLevels(ctx, org, lo, hi),
    CHRONOLOGICAL,
  );
}

/** Where a contact or lead came from; a few have no recorded source. */
export function sourceExpr(ctx: SeedCtx, key: string, name: string): string {
  return ctx.r.weighted(key, name, [
    ["'web'", 30],
    ["'referral'", 14],
    ["'event'", 9],
    ["'ads'", 17],
    ["'import'", 12],
    ["'partner'", 7],
    ["'cold_outreach'", 6],
    ['NULL', 5],
  ]);
}
