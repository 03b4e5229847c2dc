import { DrizzleQueryError } from 'drizzle-orm';
import { AppError, type ErrorCode, sqlStateOf } from '../core/errors';

/**
 * The seeds' rules live in Postgres (unique indexes, check constraints, foreign keys); a write
 * that breaks one comes back as a problem that names the rule (`rule`) and the field, never as
 * a 500 or SQL text. Keyed by constraint name, which the server reports with the error.
 */
interface Rule {
  code: ErrorCode;
  rule: string;
  field: string;
  message: string;
}

const rule = (code: ErrorCode, name: string, field: string, message: string): Rule => ({ code, rule: name, field, message });

const RULES: Record<string, Rule> = {
  pipelines_one_default_per_org: rule('conflict', 'one_default_pipeline_per_org', 'is_default', 'Another pipeline is already the default.'),
  pipelines_org_name_key: rule('conflict', 'unique_pipeline_name', 'name', 'A pipeline with this name exists.'),
  pipeline_stages_one_won: rule('conflict', 'one_won_stage_per_pipeline', 'is_won', 'This pipeline already has a won stage.'),
  pipeline_stages_one_lost: rule('conflict', 'one_lost_stage_per_pipeline', 'is_lost', 'This pipeline already has a lost stage.'),
  pipeline_stages_position_key: rule('conflict', 'unique_stage_position', 'position', 'Another stage of this pipeline has this position.'),
  pipeline_stages_not_won_and_lost: rule('constraint_violation', 'stage_not_won_and_lost', 'is_won', 'A stage cannot be both won and lost.'),
  pipeline_stages_probability_range: rule('constraint_violation', 'probability_0_to_100', 'probability', 'Probability must be between 0 and 100.'),
  deals_value_non_negative: rule('constraint_violation', 'deal_value_non_negative', 'value', 'A deal value must be 0 or more.'),
  deals_probability_range: rule('constraint_violation', 'probability_0_to_100', 'probability', 'Probability must be between 0 and 100.'),
  contacts_org_customer_id_key: rule('conflict', 'unique_customer_id', 'customer_id', 'Another contact of this org has this customer_id.'),
  leads_score_range: rule('constraint_violation', 'lead_score_0_to_100', 'score', 'A lead score must be between 0 and 100.'),
  tags_org_name_key: rule('conflict', 'unique_tag_name', 'name', 'A tag with this name exists.'),
  teams_org_name_key: rule('conflict', 'unique_team_name', 'name', 'A team with this name exists.'),
  users_org_email_key: rule('conflict', 'unique_user_email', 'email', 'A user with this e-mail exists.'),
  customer_relationships_contact_created_key: rule(
    'conflict',
    'one_relationship_entry_per_instant',
    'created_at',
    'This contact already has a loyalty entry at this instant; give each entry its own created_at.',
  ),
};

/** The constraint a database error names (pg and Neon report it as `constraint`). */
function constraintOf(err: unknown): string | undefined {
  const cause = err instanceof AppError ? err.cause : err;
  const name = (cause as { constraint?: unknown })?.constraint;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A database error of a write as the problem the client gets: a named rule where we know it;
 * a foreign key that still points at the record being deleted as a 409 (it is in use);
 * otherwise the generic mapping (db/client.ts) stands. `prefix` is the record's path in a batch.
 */
export function writeError(thrown: unknown, prefix = ''): unknown {
  const err = unwrap(thrown);
  // Already named (a rule raised inside the write, with its own path): it stands as it is.
  if (err instanceof AppError && err.rule) return err;
  const state = sqlStateOf(err);
  if (!state) return err;
  const name = constraintOf(err);
  const known = name && Object.hasOwn(RULES, name) ? RULES[name] : undefined;
  if (known) return named(known.code, known.rule, `${known.message} (rule ${known.rule})`, `${prefix}${known.field}`, known.message, err);
  if (state === '23503')
    // Our references are checked in the org before the write (records.ts): what is left is a
    // record others still point at (deals at a pipeline or stage).
    return named('conflict', 'still_referenced', 'Other records still refer to this one; move or delete them first.', `${prefix}id`, 'in use', err);
  return err;
}

/**
 * Drizzle wraps whatever the connection threw (already an AppError from db/client.ts, the
 * driver's error as its cause) in a DrizzleQueryError that carries the statement's text: the
 * connection's error is the one that means something, and the text must never reach a client.
 */
function unwrap(err: unknown): unknown {
  let out = err;
  while (out instanceof DrizzleQueryError && out.cause !== undefined) out = out.cause;
  return out;
}

function named(code: ErrorCode, ruleName: string, detail: string, path: string, message: string, cause: unknown): AppError {
  const out = new AppError(code, detail, [{ path, message }], undefined, ruleName);
  out.cause = cause;
  return out;
}

/**
 * Which record of a batch broke a database rule, from what the server says about the row:
 * a check names the failing row (its first column, the id: creates get theirs before the
 * insert), a unique index the key's values (the last one is the record's own field).
 */
export function failingRecord<C extends { id?: string; values: Record<string, unknown> }>(thrown: unknown, changes: readonly C[]): C | undefined {
  let detail: string | undefined;
  for (let e: unknown = thrown, depth = 0; e && depth < 5 && detail === undefined; e = (e as { cause?: unknown }).cause, depth++) {
    // The server's detail, not the public one of our own mapped error.
    const d = (e as { detail?: unknown }).detail;
    if (typeof d === 'string' && !(e instanceof AppError)) detail = d;
  }
  if (!detail) return undefined;
  const row = /^Failing row contains \(([0-9a-f-]{36})[,)]/.exec(detail);
  if (row) return changes.find((c) => (c.id ?? c.values.id) === row[1]);
  const key = /^Key \((.+)\)=\((.*)\) already exists\.$/.exec(detail);
  if (!key) return undefined;
  // The key's last column, as the server writes it: `"position"` quoted, `lower(email)` an
  // expression over the column; values in the server's text form (a timestamp with a space).
  const expr = key[1].split(', ').pop() as string;
  const lowered = /^lower\((.+)\)$/.exec(expr);
  const column = (lowered ? lowered[1] : expr).replace(/^"|"$/g, '');
  const value = key[2].split(', ').pop() as string;
  const same = (sent: unknown) => {
    const text = String(sent);
    if (lowered ? text.toLowerCase() === value : text === value) return true;
    const [a, b] = [Date.parse(text), Date.parse(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'))];
    return !Number.isNaN(a) && a === b;
  };
  return changes.find((c) => c.values[column] !== undefined && c.values[column] !== null && same(c.values[column]));
}
