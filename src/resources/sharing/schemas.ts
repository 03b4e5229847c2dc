import { z } from '@hono/zod-openapi';
import { ACCESS_LEVELS, PRINCIPAL_TYPES, SHARED_OBJECT_TYPES, SHARING_DEFAULTS, SHARING_RULE_KINDS, USER_ROLES } from '../../core/enums';
import { JSON_OPERATORS } from '../../query/parse-json';
import { OBJECT_RESOURCE } from '../../sharing/types';

/**
 * The contracts of /v1/sharing/*: strict bodies (an unknown key is refused by name), and the
 * answers as the routes render them. Ids a rule names are checked in the org by the write layer
 * (src/write/sharing.ts); a criteria tree by the query layer's whitelist.
 */

// C0 controls other than \t \n \r, and DEL (as write/body.ts refuses them in text fields).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const objectTypes = SHARED_OBJECT_TYPES.map((t) => `\`${t}\` (${OBJECT_RESOURCE[t]})`).join(', ');
const ObjectType = z.enum(SHARED_OBJECT_TYPES).openapi({ description: `The object type: ${objectTypes}.` });
const Access = z.enum(ACCESS_LEVELS).openapi({ description: '`read`, or `edit` (read and change).' });
const stamp = z.iso.datetime().openapi({ description: 'ISO-8601 in UTC, with microseconds.', example: '2026-01-31T09:30:00.000000Z' });

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters')
  .refine((v) => !CONTROL.test(v), 'contains a control character')
  .openapi({ description: 'Trimmed; 1–200 characters.' });

const principalId = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(64)
    .openapi({ description: `${what}: the id (UUID) of a live user or team of the org, or for a role one of ${USER_ROLES.join(', ')}.` });

const criteria = z.unknown().openapi({
  description: `Criteria rules only: a \`where\` tree of the JSON dialect (as \`POST /v1/{resource}/query\` takes), checked against the object's resource like a query: \`{field, operator, value} | {and: [...]} | {or: [...]} | {not: {...}}\`; operators: ${JSON_OPERATORS.join(', ')}.`,
  example: { field: 'status', operator: 'equals', value: 'won' },
});

// ─── Settings ────────────────────────────────────────────────────────────────────────────────

export const ObjectTypeParam = z.object({ objectType: ObjectType });

export const SharingSetting = z
  .object({
    object_type: ObjectType,
    default_access: z.enum(SHARING_DEFAULTS),
    grant_hierarchy: z.boolean().openapi({ description: 'Managers read and edit what their reports, transitively, own.' }),
    configured: z.boolean().openapi({ description: 'false: the org never set this type, and these are the defaults that apply.' }),
    updated_at: stamp.nullable().openapi({ description: 'When it was last set; null when not configured.' }),
  })
  .openapi('SharingSetting');

export const SharingSettingUpdate = z
  .strictObject({
    default_access: z
      .enum(SHARING_DEFAULTS)
      .openapi({ description: 'Who reads and edits records they are granted nothing else on: `private`, `public_read`, `public_read_write`.' }),
    grant_hierarchy: z.boolean().openapi({ description: 'Whether the role hierarchy (manager_id) grants access.' }),
  })
  .openapi('SharingSettingUpdate');

export const SharingSettings = z.object({ data: z.array(SharingSetting) }).openapi('SharingSettings');

// ─── Rules ───────────────────────────────────────────────────────────────────────────────────

const ruleFields = {
  name,
  object_type: ObjectType,
  kind: z.enum(SHARING_RULE_KINDS).openapi({ description: '`owner`: records owned by the source; `criteria`: records matching `criteria`.' }),
  source_type: z.enum(PRINCIPAL_TYPES).openapi({ description: 'Owner rules only: whose records (a user, a team’s members, a role’s holders).' }),
  source_id: principalId('Owner rules only'),
  criteria,
  target_type: z.enum(PRINCIPAL_TYPES).openapi({ description: 'Who is granted access: a user, a team’s members, a role’s holders.' }),
  target_id: principalId('Who is granted'),
  access: Access,
  is_active: z.boolean().openapi({ description: 'Inactive rules grant nothing (default true).' }),
};

export const SharingRuleCreate = z
  .strictObject({
    name: ruleFields.name,
    object_type: ruleFields.object_type,
    kind: ruleFields.kind,
    source_type: ruleFields.source_type.optional(),
    source_id: ruleFields.source_id.optional(),
    criteria: ruleFields.criteria.optional(),
    target_type: ruleFields.target_type,
    target_id: ruleFields.target_id,
    access: ruleFields.access,
    is_active: ruleFields.is_active.optional(),
  })
  .openapi('SharingRuleCreate');

export const SharingRuleUpdate = z
  .strictObject({
    name: ruleFields.name.optional(),
    object_type: ruleFields.object_type.optional(),
    kind: ruleFields.kind.optional(),
    source_type: ruleFields.source_type.nullable().optional(),
    source_id: ruleFields.source_id.nullable().optional(),
    criteria: ruleFields.criteria.optional(),
    target_type: ruleFields.target_type.optional(),
    target_id: ruleFields.target_id.optional(),
    access: ruleFields.access.optional(),
    is_active: ruleFields.is_active.optional(),
  })
  .openapi('SharingRuleUpdate', {
    description: 'Only the fields sent change; the result is validated whole. `null` clears source_type, source_id or criteria.',
  });

export const SharingRule = z
  .object({
    id: z.guid(),
    name: z.string(),
    object_type: ObjectType,
    kind: z.enum(SHARING_RULE_KINDS),
    source_type: z.enum(PRINCIPAL_TYPES).nullable(),
    source_id: z.string().nullable(),
    criteria: criteria.nullable(),
    target_type: z.enum(PRINCIPAL_TYPES),
    target_id: z.string(),
    access: Access,
    is_active: z.boolean(),
    created_at: stamp,
    updated_at: stamp,
  })
  .openapi('SharingRule');

export const SharingRuleRecord = z.object({ data: SharingRule }).openapi('SharingRuleRecord');
export const SharingRules = z.object({ data: z.array(SharingRule) }).openapi('SharingRules');

export const RuleIdParam = z.object({ ruleId: z.guid().openapi({ description: 'Sharing rule id (UUID)' }) });
export const RulesQuery = z.strictObject({ object_type: ObjectType.optional() });

// ─── Manual shares ───────────────────────────────────────────────────────────────────────────

const GranteeType = z.enum(['user', 'team']).openapi({ description: 'A user, or a team (its members).' });

export const RecordShareCreate = z
  .strictObject({
    object_type: ObjectType,
    record_id: z
      .guid()
      .transform((v) => v.toLowerCase())
      .openapi({ description: 'A live record of the object type in the org: one the caller owns, unless an admin.' }),
    grantee_type: GranteeType,
    grantee_id: z
      .guid()
      .transform((v) => v.toLowerCase())
      .openapi({ description: 'A live (active) user, or a team, of the org.' }),
    access: Access,
  })
  .openapi('RecordShareCreate');

export const RecordShare = z
  .object({
    id: z.guid(),
    object_type: ObjectType,
    record_id: z.guid(),
    grantee_type: z.enum(PRINCIPAL_TYPES).openapi({ description: '`user` or `team` (shares are made to nothing else).' }),
    grantee_id: z.guid(),
    access: Access,
    created_by: z.guid().nullable().openapi({ description: 'Who shared it; null once that user is deleted.' }),
    created_at: stamp,
    updated_at: stamp,
  })
  .openapi('RecordShare');

export const RecordShareRecord = z.object({ data: RecordShare }).openapi('RecordShareRecord');
export const RecordShares = z.object({ data: z.array(RecordShare) }).openapi('RecordShares');

export const ShareIdParam = z.object({ shareId: z.guid().openapi({ description: 'Share id (UUID)' }) });
export const SharesQuery = z.strictObject({
  object_type: ObjectType,
  record_id: z
    .guid()
    .transform((v) => v.toLowerCase())
    .openapi({ description: 'The record whose shares to list.' }),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Makes a retry safe: the first answer to a key is replayed for 24 h (docs/api.md, Idempotency).' }),
});
