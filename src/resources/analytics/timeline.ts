import { createRoute, z } from '@hono/zod-openapi';
import { ACTIVITY_PRIORITIES, ACTIVITY_STATUSES, ACTIVITY_TYPES, DEAL_STATUSES } from '../../core/enums';
import { AppError } from '../../core/errors';
import { requireAuth } from '../../http/auth';
import { createRouter, errorResponses } from '../../http/openapi';
import { decodeCursor, encodeCursor, shapeHash } from '../../query/cursor';
import { isoSql, Params } from '../../query/params';
import type { ResourceDef } from '../../query/resource';
import type { UserGrants } from '../../sharing/types';
import { underAccess } from '../access';
import { RESOURCES } from '../registry';
import { renderList } from '../render';
import { PageInfo, ResponseMeta } from '../schema';
import { planRows, rowsWhere } from './rows';

/**
 * A contact's timeline (DESIGN §5.6, decision 0051): its activities (every type: calls, emails,
 * meetings, tasks, notes, messages, reminders; they are all activities) and the changes of its
 * deals (`deals.contact_id`) the audit trail recorded (created; stage or status changed), merged
 * newest first and keyset-paged on (at, kind, id), one statement per page. Only what the caller's
 * own lists would show: the contact (else a 404), its activities and deals under their grants.
 */

export const TIMELINE_LIMIT = { default: 25, max: 100 } as const;

const TimelineQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `a whole number from 1 to ${TIMELINE_LIMIT.max}`)
    .transform(Number)
    .pipe(z.int().min(1).max(TIMELINE_LIMIT.max))
    .optional()
    .openapi({ description: `Items per page, 1–${TIMELINE_LIMIT.max} (default ${TIMELINE_LIMIT.default}).`, example: '25' }),
  cursor: z.string().optional().openapi({ description: '`page.nextCursor` of the previous page.' }),
});

const instant = z.iso.datetime().openapi({ description: 'ISO-8601 in UTC, with microseconds.' });

const ActivityItem = z.object({
  kind: z.literal('activity'),
  at: instant.openapi({ description: 'When the activity was logged (created_at)' }),
  id: z.guid(),
  type: z.enum(ACTIVITY_TYPES),
  subject: z.string(),
  status: z.enum(ACTIVITY_STATUSES),
  priority: z.enum(ACTIVITY_PRIORITIES),
  due_at: instant.nullable(),
  completed_at: instant.nullable(),
  owner_id: z.guid().nullable(),
  deal_id: z.guid().nullable(),
});

const StageRef = z.object({ id: z.guid(), name: z.string().nullable().openapi({ description: 'null when the stage no longer exists' }) }).nullable();
const DealChangeItem = z.object({
  kind: z.literal('deal_change'),
  at: instant.openapi({ description: 'When the change was committed (the audit record’s `at`)' }),
  id: z.string().openapi({ description: 'The audit record’s id (GET /v1/audit)' }),
  action: z.enum(['created', 'updated']),
  actor_id: z.guid().nullable(),
  deal: z.object({ id: z.guid(), name: z.string() }),
  stage: z.object({ from: StageRef, to: StageRef }).nullable().openapi({ description: 'null when the stage did not change' }),
  status: z
    .object({ from: z.enum(DEAL_STATUSES).nullable(), to: z.enum(DEAL_STATUSES).nullable() })
    .nullable()
    .openapi({ description: 'null when the status did not change' }),
});

const TimelineItem = z.discriminatedUnion('kind', [ActivityItem, DealChangeItem]);
type TimelineItem = z.infer<typeof TimelineItem>;

const TimelinePage = z.object({ data: z.array(TimelineItem), page: PageInfo, meta: ResponseMeta }).openapi('ContactTimeline');

/** The keyset condition of one branch after (at, kind, id), its `at` also a plain bound (an index range). */
function after(at: string, kind: string, id: string, key: TimelineKey | undefined, p: Params): string {
  if (!key) return '';
  const [a, k, i] = [p.add(key[0]), p.add(key[1]), p.add(key[2])];
  return ` and ${at} <= ${a}::timestamptz and (${at}, '${kind}'::text, ${id}::text) < (${a}::timestamptz, ${k}::text, ${i}::text)`;
}

/** The last item's order key: `at` as rendered (ISO, microseconds), kind, id as text. */
export type TimelineKey = readonly [at: string, kind: string, id: string];

/**
 * One page of a contact's timeline as one statement (pure: no I/O). Its one row says whether
 * the caller may read the contact and holds the page's items (one more than `limit` when
 * there are more), newest first. The contact, its activities and its deals are each the FROM/
 * WHERE of the /v1 list that reads them under `access`, numbered into one statement.
 */
export function planTimeline(input: { orgId: string; contactId: string; limit: number; access?: UserGrants; after?: TimelineKey }): {
  statement: string;
  values: unknown[];
} {
  const { orgId, contactId, access } = input;
  const p = new Params(orgId);
  const from = (resource: ResourceDef, field: string) => {
    const { fromWhere, values } = planRows(orgId, resource, rowsWhere(field, contactId), access);
    return p.adopt(fromWhere, values);
  };
  const contact = from(RESOURCES.contacts, 'id');
  const activities = from(RESOURCES.activities, 'contact_id');
  const deals = from(RESOURCES.deals, 'contact_id');
  const n = p.add(input.limit + 1);
  const stage = (end: 'from' | 'to', s: string) =>
    `case when al.changes #>> '{stage_id,${end}}' is null then null else json_build_object('id', al.changes #>> '{stage_id,${end}}', 'name', ${s}.name) end`;
  // Each branch reads its newest rows after the cursor by its index (activities by (contact_id,
  // created_at), the trail by (org_id, object_type, object_id, at) per deal); the merge keeps a
  // page's worth.
  const activity = `select ac.created_at as at, 'activity'::text as kind, ac.id::text as id,
      json_build_object('kind', 'activity', 'at', ${isoSql('ac.created_at')}, 'id', ac.id, 'type', ac.type, 'subject', ac.subject,
        'status', ac.status, 'priority', ac.priority, 'due_at', ${isoSql('ac.due_at')}, 'completed_at', ${isoSql('ac.completed_at')},
        'owner_id', ac.owner_id, 'deal_id', ac.deal_id) as item
    ${activities}${after('ac.created_at', 'activity', 'ac.id', input.after, p)}
    order by ac.created_at desc, ac.id::text desc limit ${n}`;
  const change = `select al.at, 'deal_change'::text as kind, al.id::text as id,
      json_build_object('kind', 'deal_change', 'at', ${isoSql('al.at')}, 'id', al.id::text,
        'action', case al.action when 'create' then 'created' else 'updated' end, 'actor_id', al.actor_id,
        'deal', json_build_object('id', d.id, 'name', d.name),
        'stage', case when al.changes ? 'stage_id' then json_build_object('from', ${stage('from', 'sf')}, 'to', ${stage('to', 'st')}) end,
        'status', case when al.changes ? 'status' then json_build_object('from', al.changes #>> '{status,from}', 'to', al.changes #>> '{status,to}') end) as item
    from (select d.id, d.name ${deals}) d
    join audit_log al on al.org_id = $1 and al.object_type = 'deals' and al.object_id = d.id
    left join pipeline_stages sf on sf.org_id = $1 and sf.id = (al.changes #>> '{stage_id,from}')::uuid
    left join pipeline_stages st on st.org_id = $1 and st.id = (al.changes #>> '{stage_id,to}')::uuid
    where (al.action = 'create' or (al.action = 'update' and (al.changes ? 'stage_id' or al.changes ? 'status')))${after('al.at', 'deal_change', 'al.id', input.after, p)}
    order by al.at desc, al.id::text desc limit ${n}`;
  return {
    statement: `select exists (select 1 ${contact}) as visible,
      (select coalesce(json_agg(u.item order by u.at desc, u.kind desc, u.id desc), '[]'::json) from (
         select * from ((${activity}) union all (${change})) u order by u.at desc, u.kind desc, u.id desc limit ${n}) u) as items`,
    values: p.values,
  };
}

export const timelineRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/v1/contacts/{id}/timeline',
    tags: ['contacts'],
    summary: 'The contact’s activities and deal changes, newest first, one statement per page',
    description:
      'Activities of every type (`at` = when logged) and, from the audit trail, the creation and the stage or status changes of the contact’s deals (`deals.contact_id`), merged newest first; ties by kind, then id. Only activities and deals the caller may read; a contact they may not read is a 404. Page with `cursor`.',
    middleware: [requireAuth()] as const,
    request: { params: z.object({ id: z.guid().openapi({ description: 'Contact id' }) }), query: TimelineQuery },
    responses: { 200: { description: 'A page of the timeline', content: { 'application/json': { schema: TimelinePage } } }, ...errorResponses },
  }),
  async (c) => {
    const started = performance.now();
    const id = c.req.valid('param').id.toLowerCase();
    const { limit = TIMELINE_LIMIT.default, cursor } = c.req.valid('query');
    const { orgId, userId } = c.var.auth;
    const secret = c.var.services.vars.JWT_SECRET;
    const shape = await shapeHash(['timeline', orgId, userId, id]);
    const after = cursor ? ((await decodeCursor(secret, cursor, shape, 3)).k as unknown as TimelineKey) : undefined;
    const { rows } = await underAccess(c, (access) => {
      const plan = planTimeline({ orgId, contactId: id, limit, access, after });
      return c.var.services.db.query<{ visible: boolean; items: TimelineItem[] }>(plan.statement, plan.values);
    });
    const [{ visible, items }] = rows;
    if (!visible) throw new AppError('not_found', 'No such record in contacts.');
    const hasMore = items.length > limit;
    if (hasMore) items.length = limit;
    const last = items[items.length - 1];
    const nextCursor = hasMore && last ? await encodeCursor(secret, shape, [last.at, last.kind, last.id]) : null;
    // The list envelope's page, meta and Content-Range, around the typed items.
    const { page, meta } = renderList(c, { rows: items, page: { limit, nextCursor, hasMore } }, started);
    return c.json({ data: items, page, meta }, 200);
  },
);
