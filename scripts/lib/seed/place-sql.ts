// SQL for address columns from a city index: the street in the city's language, a
// street number and a postal code in the country's real shape.
import { at, intArray, type SqlRand, textArray } from './sql-rand';
import { CITIES, POSTAL_KINDS, STREET_LANGS, STREETS } from './vocab-places';

const STREETS_PER_LANG = STREETS.en.length;
export const CITY_NAMES = textArray(CITIES.map((c) => c.name));
export const CITY_COUNTRIES = textArray(CITIES.map((c) => c.country));
export const CITY_CODES = textArray(CITIES.map((c) => c.code));
const CITY_LANG = intArray(CITIES.map((c) => STREET_LANGS.indexOf(c.lang)));
const CITY_POSTAL_KIND = intArray(CITIES.map((c) => POSTAL_KINDS.indexOf(c.postal)));
const CITY_POSTAL_PREFIX = textArray(CITIES.map((c) => c.postalPrefix));
const CITY_POSTAL_DIGITS = intArray(CITIES.map((c) => c.digits));
const STREET_NAMES = textArray(STREET_LANGS.flatMap((lang) => STREETS[lang]));

/** A street of the city's language, common ones first. */
export function streetName(r: SqlRand, ns: string, key: string, city: string): string {
  const pick = r.skewed(key, `${ns}.street`, STREETS_PER_LANG, 1.4);
  return at(STREET_NAMES, `${at(CITY_LANG, city)} * ${STREETS_PER_LANG} + ${pick}`);
}

/** Mostly small house numbers, some with a letter ("12a"). */
export function streetNumber(r: SqlRand, ns: string, key: string): string {
  const n = `(1 + ${r.skewed(key, `${ns}.number`, 250, 2.5)})::text`;
  return `(CASE WHEN ${r.chance(key, `${ns}.number.letter`, 0.06)} THEN ${n} || 'a' ELSE ${n} END)`;
}

function letter(r: SqlRand, key: string, name: string): string {
  return `chr(65 + ${r.int(key, name, 26)}::int)`;
}

/**
 * A postal code in the country's shape. `d` is a string of random digits; the city's
 * prefix keeps codes of one city close together (Berlin 10xxx, Paris 75xxx).
 */
export function postalCode(r: SqlRand, ns: string, key: string, city: string): string {
  const d = `lpad(${r.int(key, `${ns}.postal`, 100000000)}::text, 8, '0')`;
  const prefix = at(CITY_POSTAL_PREFIX, city);
  const fill = (total: number | string) => `${prefix} || left(${d}, (${total}) - length(${prefix}))`;
  const l1 = letter(r, key, `${ns}.postal.l1`);
  const l2 = letter(r, key, `${ns}.postal.l2`);
  const shapes: Record<string, string> = {
    digits: fill(at(CITY_POSTAL_DIGITS, city)),
    se: `left(${fill(5)}, 3) || ' ' || right(${fill(5)}, 2)`,
    pl: `left(${fill(5)}, 2) || '-' || right(${fill(5)}, 3)`,
    pt: `left(${fill(7)}, 4) || '-' || right(${fill(7)}, 3)`,
    br: `left(${fill(8)}, 5) || '-' || right(${fill(8)}, 3)`,
    jp: `left(${fill(7)}, 3) || '-' || right(${fill(7)}, 4)`,
    nl: `${fill(4)} || ' ' || ${l1} || ${l2}`,
    uk: `${prefix} || (1 + ${r.int(key, `${ns}.postal.uk`, 9)})::text || ' ' || right(${d}, 1) || ${l1} || ${l2}`,
    ca: `${prefix} || substr(${d}, 1, 1) || ${l1} || ' ' || substr(${d}, 2, 1) || ${l2} || substr(${d}, 3, 1)`,
    ie: `${prefix} || substr(${d}, 1, 2) || ' ' || ${l1} || substr(${d}, 3, 3)`,
    none: 'NULL',
  };
  const arms = POSTAL_KINDS.map((kind, i) => `WHEN ${i} THEN ${shapes[kind]}`).join(' ');
  return `(CASE ${at(CITY_POSTAL_KIND, city)} ${arms} END)`;
}
