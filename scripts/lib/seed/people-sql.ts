// SQL expressions for people (contacts, leads): gender, names, e-mail, phone. Each takes
// the row-number expression `key` and a namespace, so contacts and leads draw
// independently while any table can recompute a contact's name from its number.
import { at, type SqlRand, textArray } from './sql-rand';
import { asciiSlug, EMAIL_DOMAINS, FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, SURNAME_MIDDLES, SURNAME_PREFIXES, SURNAME_SUFFIXES, SURNAMES } from './vocab-people';
import { CITIES } from './vocab-places';

const FEMALE = textArray(FEMALE_FIRST_NAMES);
const MALE = textArray(MALE_FIRST_NAMES);
const FEMALE_ASCII = textArray(FEMALE_FIRST_NAMES.map(asciiSlug));
const MALE_ASCII = textArray(MALE_FIRST_NAMES.map(asciiSlug));
const REAL = textArray(SURNAMES);
const REAL_ASCII = textArray(SURNAMES.map(asciiSlug));
const PRE = textArray(SURNAME_PREFIXES);
const PRE_ASCII = textArray(SURNAME_PREFIXES.map(asciiSlug));
const MID = textArray(SURNAME_MIDDLES);
const SUF = textArray(SURNAME_SUFFIXES);
const DOMAINS = textArray(EMAIL_DOMAINS);
export const CITY_PHONES = textArray(CITIES.map((c) => c.phone));

export const GENDERS = ['female', 'male', 'other', 'unknown'] as const;
export const GENDER_TEXT = textArray(GENDERS);

/** 0 female, 1 male, 2 other, 3 unknown. */
export function genderIndex(r: SqlRand, ns: string, key: string): string {
  return r.weighted(key, `${ns}.gender`, [
    ['0', 48],
    ['1', 46],
    ['2', 1.5],
    ['3', 4.5],
  ]);
}

/** First name matching the gender; other/unknown draw from either list. */
export function firstName(r: SqlRand, ns: string, key: string, gender: string, ascii = false): string {
  const n = FEMALE_FIRST_NAMES.length;
  const female = at(ascii ? FEMALE_ASCII : FEMALE, r.skewed(key, `${ns}.first`, n, 1.6));
  const male = at(ascii ? MALE_ASCII : MALE, r.skewed(key, `${ns}.first`, n, 1.6));
  const either = `CASE WHEN ${r.chance(key, `${ns}.first.either`, 0.5)} THEN ${female} ELSE ${male} END`;
  return `(CASE ${gender} WHEN 0 THEN ${female} WHEN 1 THEN ${male} ELSE ${either} END)`;
}

/** Half real surnames (skewed), half syllable-built ones: a long tail of distinct names. */
export function lastName(r: SqlRand, ns: string, key: string, ascii = false): string {
  const real = at(ascii ? REAL_ASCII : REAL, r.skewed(key, `${ns}.last.real`, SURNAMES.length, 1.7));
  const built = [
    at(ascii ? PRE_ASCII : PRE, r.skewed(key, `${ns}.last.pre`, SURNAME_PREFIXES.length, 1.5)),
    at(MID, r.int(key, `${ns}.last.mid`, SURNAME_MIDDLES.length)),
    at(SUF, r.skewed(key, `${ns}.last.suf`, SURNAME_SUFFIXES.length, 1.6)),
  ].join(' || ');
  return `(CASE WHEN ${r.chance(key, `${ns}.last.kind`, 0.5)} THEN ${real} ELSE ${built} END)`;
}

/** Local part patterns seen in real address books: anna.smith, asmith, anna_smith42, … */
export function emailLocal(r: SqlRand, ns: string, key: string, fa: string, la: string): string {
  const n = `(${r.int(key, `${ns}.email.n`, 99)} + 1)::text`;
  return r.weighted(key, `${ns}.email.shape`, [
    [`${fa} || '.' || ${la}`, 40],
    [`${fa} || ${la}`, 10],
    [`left(${fa}, 1) || '.' || ${la}`, 15],
    [`${fa} || '_' || ${la}`, 5],
    [`${fa} || '.' || ${la} || ${n}`, 15],
    [`${la} || '.' || ${fa}`, 8],
    [`${fa} || ${n}`, 7],
  ]);
}

/** A free-mail domain, skewed so gmail/outlook dominate. */
export function freeMailDomain(r: SqlRand, ns: string, key: string): string {
  return at(DOMAINS, r.skewed(key, `${ns}.email.domain`, EMAIL_DOMAINS.length, 2.2));
}

/** '+49 30 1234567': the city's prefix and seven digits. */
export function phoneNumber(r: SqlRand, ns: string, key: string, city: string): string {
  return `${at(CITY_PHONES, city)} || ' ' || (1000000 + ${r.int(key, `${ns}.phone`, 9000000)})::text`;
}

const CITY_WEIGHTS = CITIES.map((c) => c.weight);

/** City index by each city's weight, so big cities are common. */
export function cityIndex(r: SqlRand, ns: string, key: string): string {
  return r.pick(key, `${ns}.city`, CITY_WEIGHTS);
}

/** A timestamp `power`-skewed towards the anchor, between 1 hour and `days` before it. */
export function createdBefore(r: SqlRand, name: string, key: string, anchor: string, days: number, power = 1.25): string {
  return `(${anchor} - interval '1 hour' - power(${r.unit(key, name)}, ${power}) * interval '${days} days')`;
}

/** A timestamp uniformly between `from` and `to`. */
export function between(r: SqlRand, name: string, key: string, from: string, to: string): string {
  return `(${from} + ${r.unit(key, name)} * (${to} - ${from}))`;
}
