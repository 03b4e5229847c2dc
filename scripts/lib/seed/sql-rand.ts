// SQL expression builders for deterministic pseudo-randomness. Every value the seed
// produces is a pure function of (seed, draw name, row number), computed server-side with
// hashint8extended, so a dataset is reproducible and any row's attributes can be
// recomputed inline by other tables (a deal knows its contact's name without a join).

const INT63 = '9223372036854775807';
const TWO52 = 4503599627370496;

/** A single-quoted SQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A text[] constant; the planner folds it once per statement. */
export function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(lit).join(',')}]::text[]`;
}

/** An int[] constant (fixed-width elements index in O(1), unlike text[]). */
export function intArray(values: readonly number[]): string {
  return `ARRAY[${values.join(',')}]::int[]`;
}

/** 1-based subscript of an array constant by a 0-based SQL index expression. */
export function at(array: string, index0: string): string {
  return `(${array})[(${index0}) + 1]`;
}

/** FNV-1a 64-bit over a string, as a signed int8 literal: the per-draw hash seed. */
function fnv64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of Buffer.from(s, 'utf8')) {
    h ^= BigInt(ch);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h).toString();
}

export type Weighted = readonly (readonly [value: string, weight: number])[];

/** Draws keyed on a row-number expression; `name` separates independent draws. */
export class SqlRand {
  constructor(readonly seed: number) {}

  /** 64-bit hash of key under this seed and draw name (int8). */
  hash(key: string, name: string): string {
    return `hashint8extended((${key})::int8, ${fnv64(`${this.seed}|${name}`)})`;
  }

  /** Integer in [0, n). */
  int(key: string, name: string, n: number | string): string {
    return `((${this.hash(key, name)} & ${INT63}) % (${n}))`;
  }

  /** Float in [0, 1). */
  unit(key: string, name: string): string {
    return `((${this.hash(key, name)} & ${TWO52 - 1})::float8 / ${TWO52}.0)`;
  }

  /** Integer in [0, n), skewed towards 0 (power > 1): index 0 is the most common value. */
  skewed(key: string, name: string, n: number | string, power: number): string {
    return `floor((${n}) * power(${this.unit(key, name)}, ${power}))::int`;
  }

  /** Boolean that is true with probability p. */
  chance(key: string, name: string, p: number): string {
    return `((${this.hash(key, name)} & 1048575) < ${Math.round(p * 1048576)})`;
  }

  /**
   * Index in [0, weights.length) drawn with probability ∝ weight, in O(1): a uniform draw
   * over a table where each index fills slots in proportion to its weight.
   */
  pick(key: string, name: string, weights: readonly number[], slots = 2048): string {
    const total = weights.reduce((a, b) => a + b, 0);
    const table = weights.flatMap((w, i) => Array<number>(Math.max(1, Math.round((w / total) * slots))).fill(i));
    return at(intArray(table), this.int(key, name, table.length));
  }

  /** One of several SQL values with the given relative weights. */
  weighted(key: string, name: string, options: Weighted): string {
    const total = options.reduce((s, [, w]) => s + w, 0);
    const draw = this.int(key, name, 100000);
    let acc = 0;
    const arms = options.slice(0, -1).map(([value, w]) => {
      acc += w;
      return `WHEN ${draw} < ${Math.round((acc / total) * 100000)} THEN ${value}`;
    });
    return `(CASE ${arms.join(' ')} ELSE ${options[options.length - 1][0]} END)`;
  }

  /**
   * A deterministic RFC 9562 version-4 UUID for entity `kind` number `key`. Version and
   * variant bits are set so strict validators (zod's z.uuid()) accept seeded ids.
   */
  uuid(kind: string, key: string): string {
    const hi = `((${this.hash(key, `uuid:${kind}:hi`)} & -61441) | 16384)`;
    const lo = `((${this.hash(key, `uuid:${kind}:lo`)} & 4611686018427387903) | '-9223372036854775808'::int8)`;
    return `encode(int8send(${hi}) || int8send(${lo}), 'hex')::uuid`;
  }
}

/** Deterministic PRNG for the small, TS-built tables (users, tags, rules). */
export function prng(seed: number, name: string): () => number {
  let a = Number(BigInt.asUintN(32, BigInt(fnv64(`${seed}|${name}`))));
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
