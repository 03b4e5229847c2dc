import path from 'node:path';
import { ROOT } from '../../scripts/lib/config';
import { SeedParamError, validateParams } from '../../scripts/lib/seed/index';

export type Mode = 'pooled' | 'direct';

export interface BenchOptions {
  scenarios: string[] | null;
  modes: Mode[];
  /** Measured seconds per scenario × mode × concurrency. */
  duration: number;
  /** Seconds of discarded load before each measured run. */
  warmup: number;
  concurrency: number[];
  contacts: number;
  orgs: number;
  seed: number;
  database: string;
  quick: boolean;
  outDir: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench -- [options]
  --scenarios a,b        only these scenario ids (default: all that the API serves)
  --mode pooled|direct|both   connection modes (default both)
  --duration S           measured seconds per run (default 10; 1 with --quick)
  --concurrency 1,8      connection counts (default 1,8)
  --contacts N           dataset size (default 3000000; 20000 with --quick)
  --orgs K               number of orgs (default 20; 3 with --quick)
  --quick                small dataset in crm_bench_quick, short runs: a smoke check
  --out DIR              where results go (default bench/results)`;

const FLAGS = new Set(['scenarios', 'mode', 'duration', 'concurrency', 'contacts', 'orgs', 'quick', 'out', 'help']);

/** `--k v` and `--k=v`; anything unknown or positional is a usage error rather than silently ignored. */
function readFlags(argv: string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (!FLAGS.has(key)) throw new UsageError(`unknown option --${key}`);
    if (eq >= 0) flags.set(key, a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flags.set(key, argv[++i]);
    else flags.set(key, true);
  }
  return flags;
}

function value(flags: Map<string, string | true>, key: string): string | undefined {
  const v = flags.get(key);
  if (v === true) throw new UsageError(`--${key} needs a value`);
  return v;
}

function positiveInt(raw: string, name: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${raw}"`);
  return Number(raw);
}

function parseModes(raw: string | undefined): Mode[] {
  if (raw === undefined || raw === 'both') return ['pooled', 'direct'];
  if (raw === 'pooled' || raw === 'direct') return [raw];
  throw new UsageError(`--mode must be pooled, direct or both, got "${raw}"`);
}

function parseList(raw: string, name: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`--${name} needs at least one value`);
  return [...new Set(items)];
}

/** The seed generator's own limits (e.g. ≥ 10 contacts per org), reported as usage errors. */
function checkSeedParams(contacts: number, orgs: number): void {
  try {
    validateParams({ contacts, orgs, seed: 42 });
  } catch (err) {
    if (err instanceof SeedParamError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The standard datasets keep their names (crm_bench, crm_bench_quick); any other size gets a
 * database of its own, so a one-off `--contacts 300000` never reseeds over the 3M dataset.
 */
function databaseFor(quick: boolean, contacts: number, orgs: number): string {
  if (!quick && contacts === 3_000_000 && orgs === 20) return 'crm_bench';
  if (quick && contacts === 20_000 && orgs === 3) return 'crm_bench_quick';
  return `crm_bench_${contacts}c_${orgs}o`;
}

/** Parses and validates argv; scenario ids are checked against the catalogue by the caller. */
export function parseOptions(argv: string[]): BenchOptions {
  const flags = readFlags(argv);
  if (flags.has('help')) throw new UsageError('');
  if (flags.has('quick') && flags.get('quick') !== true) throw new UsageError('--quick takes no value');
  const quick = flags.has('quick');
  const durationRaw = value(flags, 'duration');
  // --quick is a smoke check (about 2 minutes for everything): 1 s runs prove the plumbing.
  const duration = durationRaw === undefined ? (quick ? 1 : 10) : positiveInt(durationRaw, 'duration', 3600);
  const concRaw = value(flags, 'concurrency');
  const concurrency = concRaw === undefined ? [1, 8] : parseList(concRaw, 'concurrency').map((c) => positiveInt(c, 'concurrency', 256));
  const contactsRaw = value(flags, 'contacts');
  const orgsRaw = value(flags, 'orgs');
  const contacts = contactsRaw === undefined ? (quick ? 20_000 : 3_000_000) : positiveInt(contactsRaw, 'contacts', 100_000_000);
  const orgs = orgsRaw === undefined ? (quick ? 3 : 20) : positiveInt(orgsRaw, 'orgs', 10_000);
  checkSeedParams(contacts, orgs);
  const scenariosRaw = value(flags, 'scenarios');
  const out = value(flags, 'out');
  return {
    scenarios: scenariosRaw === undefined ? null : parseList(scenariosRaw, 'scenarios'),
    modes: parseModes(value(flags, 'mode')),
    duration,
    // Long enough to open pooled server connections and let workerd compile the hot paths.
    warmup: quick ? 0.5 : Math.min(3, duration),
    concurrency: [...new Set(concurrency)].sort((a, b) => a - b),
    contacts,
    orgs,
    seed: 42,
    database: databaseFor(quick, contacts, orgs),
    quick,
    // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
    outDir: out === undefined ? path.join(ROOT, 'bench/results') : path.resolve(process.env.INIT_CWD ?? process.cwd(), out),
  };
}
