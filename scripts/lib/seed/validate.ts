// Parameter checks shared by the CLI and the library entry points.
import type { SeedParams } from './plan';

export class SeedParamError extends Error {
  override name = 'SeedParamError';
}

export const DEFAULT_PARAMS: SeedParams = { contacts: 50_000, orgs: 4, seed: 42 };
const MAX_CONTACTS = 100_000_000;
const MAX_ORGS = 10_000;
/** Fewer contacts per org would leave orgs without companies, deals or tags to speak of. */
const MIN_CONTACTS_PER_ORG = 10;

function integer(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new SeedParamError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** Accepts numbers or numeric strings; throws SeedParamError with a message for humans. */
export function validateParams(input: { contacts?: unknown; orgs?: unknown; seed?: unknown }): SeedParams {
  const contacts = integer('contacts', input.contacts ?? DEFAULT_PARAMS.contacts, 1, MAX_CONTACTS);
  const orgs = integer('orgs', input.orgs ?? DEFAULT_PARAMS.orgs, 1, MAX_ORGS);
  const seed = integer('seed', input.seed ?? DEFAULT_PARAMS.seed, 0, 2 ** 31 - 1);
  if (contacts < orgs * MIN_CONTACTS_PER_ORG) {
    throw new SeedParamError(`--contacts must be at least ${MIN_CONTACTS_PER_ORG} × --orgs (${orgs * MIN_CONTACTS_PER_ORG})`);
  }
  return { contacts, orgs, seed };
}
