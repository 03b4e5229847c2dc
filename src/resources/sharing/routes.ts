import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth';
import { jsonBody } from '../../http/body';
import { idempotency } from '../../http/idempotency';
import { createRouter, errorResponses, problem } from '../../http/openapi';
import { createShare, deleteShare } from '../../write/record-shares';
import { createRule, deleteRule, type RuleInput, updateRule } from '../../write/sharing';
import { putSetting } from '../../write/sharing-settings';
import { writeContext } from '../writes';
import { getRule, getShare, listRules, listSettings, listShares } from './read';
import {
  IdempotencyHeaders,
  ObjectTypeParam,
  RecordShareCreate,
  RecordShareRecord,
  RecordShares,
  RuleIdParam,
  RulesQuery,
  ShareIdParam,
  SharesQuery,
  SharingRuleCreate,
  SharingRuleRecord,
  SharingRules,
  SharingRuleUpdate,
  SharingSetting,
  SharingSettings,
  SharingSettingUpdate,
} from './schemas';

/**
 * /v1/sharing/*: the org's sharing configuration (DESIGN §7). Settings and rules: every role
 * reads them, admins change them. Manual shares: admins, and the owner of the shared record.
 * Every change is one transaction with its audit row and answers X-Generation.
 */

const tags = ['sharing'];
const NoQuery = z.strictObject({});
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const changeResponses = {
  ...errorResponses,
  403: problem('Only admins may change this'),
  409: problem('A concurrent idempotent request'),
  415: problem('The body is not JSON'),
  422: problem('A user or team that is not live in the org (`rule: reference_in_org`), naming the field'),
} as const;

const settingRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharing/settings',
      tags,
      summary: 'Sharing settings of every object type',
      description:
        'Every object type, in a fixed order, with its org-wide default and whether the role hierarchy grants access. A type the org never set answers the defaults that apply (`public_read_write`, hierarchy on) with `configured: false`. Any role.',
      middleware: [requireAuth()] as const,
      request: { query: NoQuery },
      responses: { 200: ok('The settings', SharingSettings), ...errorResponses },
    }),
    async (c) => c.json({ data: await listSettings(writeContext(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/v1/sharing/settings/{objectType}',
      tags,
      summary: "Set an object type's sharing setting (admins)",
      description:
        'Both fields, always (a full replacement). Audited as an `update` of `sharing_settings` with the org id as object id and fields named `{objectType}.{field}`; setting what is stored changes nothing.',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { params: ObjectTypeParam, body: json(SharingSettingUpdate) },
      responses: { 200: ok('The setting as stored; X-Generation header', z.object({ data: SharingSetting })), ...changeResponses },
    }),
    async (c) => {
      const { objectType } = c.req.valid('param');
      const { setting, generation } = await putSetting(writeContext(c), objectType, c.req.valid('json'));
      c.header('X-Generation', String(await generation));
      return c.json({ data: setting }, 200);
    },
  );

const ruleRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharing/rules',
      tags,
      summary: 'Sharing rules',
      description: 'Every rule of the org (optionally of one object type), active or not, by object type and name. Any role.',
      middleware: [requireAuth()] as const,
      request: { query: RulesQuery },
      responses: { 200: ok('The rules', SharingRules), ...errorResponses },
    }),
    async (c) => c.json({ data: await listRules(writeContext(c), c.req.valid('query').object_type) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/sharing/rules',
      tags,
      summary: 'Create a sharing rule (admins)',
      description:
        'An owner rule (`source_type` + `source_id`, no `criteria`) opens the records its source owns; a criteria rule (`criteria`, no source) the records matching it, checked like a query on the object type’s resource (unknown fields, operators and bad values are a 400 naming `criteria…`). Either grants `access` to the target. Audited as `create` of `sharing_rules`.',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { headers: IdempotencyHeaders, body: json(SharingRuleCreate) },
      responses: { 201: ok('Created; Location and X-Generation headers', SharingRuleRecord), ...changeResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const input: RuleInput = { source_type: null, source_id: null, criteria: null, is_active: true, ...body };
      const ctx = writeContext(c);
      const { ids, generation } = await createRule(ctx, input);
      const [rule, gen] = await Promise.all([getRule(ctx, ids[0]), generation]);
      c.header('X-Generation', String(gen));
      c.header('Location', `/v1/sharing/rules/${rule.id}`);
      return c.json({ data: rule }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharing/rules/{ruleId}',
      tags,
      summary: 'One sharing rule',
      middleware: [requireAuth()] as const,
      request: { params: RuleIdParam, query: NoQuery },
      responses: { 200: ok('The rule', SharingRuleRecord), ...errorResponses },
    }),
    async (c) => c.json({ data: await getRule(writeContext(c), c.req.valid('param').ruleId.toLowerCase()) }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/sharing/rules/{ruleId}',
      tags,
      summary: 'Update a sharing rule (admins)',
      description:
        'Only the fields sent change; the result is validated as a whole (a kind change sends its source or criteria and clears the other with null). Audited as `update`; a PATCH that changes nothing leaves no audit row.',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { params: RuleIdParam, headers: IdempotencyHeaders, body: json(SharingRuleUpdate) },
      responses: { 200: ok('Updated; X-Generation header', SharingRuleRecord), ...changeResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').ruleId.toLowerCase();
      const ctx = writeContext(c);
      const { generation } = await updateRule(ctx, id, c.req.valid('json') as Partial<RuleInput>);
      const [rule, gen] = await Promise.all([getRule(ctx, id), generation]);
      c.header('X-Generation', String(gen));
      return c.json({ data: rule }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/sharing/rules/{ruleId}',
      tags,
      summary: 'Delete a sharing rule (admins)',
      description: 'For good; audited as `hard_delete` (deactivate with `is_active: false` to keep it).',
      middleware: [requireAuth()] as const,
      request: { params: RuleIdParam, query: NoQuery },
      responses: { 204: { description: 'Deleted; X-Generation header' }, ...changeResponses },
    }),
    async (c) => {
      const { generation } = await deleteRule(writeContext(c), c.req.valid('param').ruleId.toLowerCase());
      c.header('X-Generation', String(await generation));
      return c.body(null, 204);
    },
  );

// No 403: a record the caller may not share is a 404, as a record they may not see would be.
const shareResponses = {
  ...errorResponses,
  415: problem('The body is not JSON'),
  422: problem('A grantee that is not an active user or a team of the org (`rule: reference_in_org`)'),
  404: problem('No such live record in the org, or the caller is neither an admin nor its owner; no such share'),
  409: problem('The record is already shared with this grantee (`rule: unique_record_share`), or a concurrent idempotent request'),
} as const;

const shareRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharing/shares',
      tags,
      summary: "One record's manual shares",
      description: 'Admins: any record of the org. Anyone else: only a live record they own (else a 404).',
      middleware: [requireAuth()] as const,
      request: { query: SharesQuery },
      responses: { 200: ok('The shares, oldest first', RecordShares), ...errorResponses },
    }),
    async (c) => {
      const { object_type, record_id } = c.req.valid('query');
      return c.json({ data: await listShares(writeContext(c), object_type, record_id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/sharing/shares',
      tags,
      summary: 'Share a record with a user or team (admins, or its owner)',
      description:
        'The record must be live in the org and, unless the caller is an admin, owned by the caller: otherwise a 404. The grantee must be an active user or a team of the org (422 `reference_in_org`). One share per record and grantee: a second is a 409 `unique_record_share` (to change the access, delete and share again). Audited as `create` of `record_shares`.',
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: { headers: IdempotencyHeaders, body: json(RecordShareCreate) },
      responses: { 201: ok('Shared; X-Generation header', RecordShareRecord), ...shareResponses },
    }),
    async (c) => {
      const ctx = writeContext(c);
      const { ids, generation } = await createShare(ctx, c.req.valid('json'));
      const [share, gen] = await Promise.all([getShare(ctx, ids[0]), generation]);
      c.header('X-Generation', String(gen));
      return c.json({ data: share }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/sharing/shares/{shareId}',
      tags,
      summary: 'Remove a manual share (admins, or the record’s owner)',
      description: 'A 404 for a share of another org, or of a record the caller does not own (unless an admin). Audited as `hard_delete`.',
      middleware: [requireAuth()] as const,
      request: { params: ShareIdParam, query: NoQuery },
      responses: { 204: { description: 'Removed; X-Generation header' }, ...shareResponses },
    }),
    async (c) => {
      const { generation } = await deleteShare(writeContext(c), c.req.valid('param').shareId.toLowerCase());
      c.header('X-Generation', String(await generation));
      return c.body(null, 204);
    },
  );

/** GET/PUT settings, rules CRUD and manual shares under /v1/sharing. */
export function sharingRoutes() {
  const router = createRouter();
  router.route('/', settingRoutes);
  router.route('/', ruleRoutes);
  router.route('/', shareRoutes);
  return router;
}
