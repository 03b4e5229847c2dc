import { createRoute, z } from '@hono/zod-openapi';
import { ACTIVITY_PRIORITIES, ACTIVITY_STATUSES, ACTIVITY_TYPES } from '../../core/enums';
import { requireAuth } from '../../http/auth';
import { createRouter, dataResponse, errorResponses } from '../../http/openapi';
import { underAccess } from '../access';
import { RESOURCES } from '../registry';
import { filteredRows, filtersOf } from './rows';

/**
 * Activity aggregates (DESIGN §5.6, decision 0050): one statement each over the rows a
 * /v1/activities list with the same filters reads under the caller's access. "Open" is pending
 * or in progress; overdue is open and due before now; today and this week are UTC.
 */

const OPEN = `ac.status in ('pending', 'in_progress')`;

const counts = <T extends readonly [string, ...string[]]>(keys: T) => z.record(z.enum(keys), z.int());

const ActivityStats = z
  .object({
    total: z.int(),
    byStatus: counts(ACTIVITY_STATUSES),
    byType: counts(ACTIVITY_TYPES),
    byPriority: counts(ACTIVITY_PRIORITIES),
    overdue: z.int().openapi({ description: 'Open (pending, in progress) and due before now' }),
    dueToday: z.int().openapi({ description: 'Open and due today (UTC)' }),
    dueThisWeek: z.int().openapi({ description: 'Open and due this week (UTC, Monday first)' }),
  })
  .openapi('ActivityStats');

const TypeStats = z
  .object({ types: z.array(z.object({ type: z.enum(ACTIVITY_TYPES), total: z.int(), open: z.int(), completed: z.int(), overdue: z.int() })) })
  .openapi('ActivityTypeStats');

const DOC =
  'Any /v1/activities filter (`owner_id=eq.…`, `contact_id=eq.…`): the counts cover exactly the activities that list would, under the caller’s access.';

export const activityAnalyticsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/activities/stats',
      tags: ['activities'],
      summary: 'Totals per status, type and priority; overdue, due today and this week',
      description: DOC,
      middleware: [requireAuth()] as const,
      request: { query: z.looseObject({}) },
      responses: { 200: dataResponse(ActivityStats, 'The stats'), ...errorResponses },
    }),
    async (c) => {
      const req = filtersOf(c, []);
      const { rows } = await underAccess(c, (access) => {
        const { fromWhere, values } = filteredRows(c, RESOURCES.activities, req, access);
        // One pass over the filtered rows (a CTE read once), every count from it.
        return c.var.services.db.query<z.infer<typeof ActivityStats>>(
          `with f as materialized (select ac.status, ac.type, ac.priority, ac.due_at, ${OPEN} as open ${fromWhere})
           select (select count(*) from f)::int as total,
             (select coalesce(jsonb_object_agg(status, n), '{}') from (select status, count(*)::int as n from f where status is not null group by status) x) as "byStatus",
             (select coalesce(jsonb_object_agg(type, n), '{}') from (select type, count(*)::int as n from f where type is not null group by type) x) as "byType",
             (select coalesce(jsonb_object_agg(priority, n), '{}') from (select priority, count(*)::int as n from f where priority is not null group by priority) x) as "byPriority",
             (select count(*) from f where open and due_at < now())::int as overdue,
             (select count(*) from f where open and (due_at at time zone 'UTC')::date = (now() at time zone 'UTC')::date)::int as "dueToday",
             (select count(*) from f where open and date_trunc('week', due_at at time zone 'UTC') = date_trunc('week', now() at time zone 'UTC'))::int as "dueThisWeek"`,
          values,
        );
      });
      return c.json({ data: rows[0] }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/activities/type-stats',
      tags: ['activities'],
      summary: 'Per activity type: total, open, completed, overdue',
      description: DOC,
      middleware: [requireAuth()] as const,
      request: { query: z.looseObject({}) },
      responses: { 200: dataResponse(TypeStats, 'The stats'), ...errorResponses },
    }),
    async (c) => {
      const req = filtersOf(c, []);
      const { rows } = await underAccess(c, (access) => {
        const { fromWhere, values } = filteredRows(c, RESOURCES.activities, req, access);
        return c.var.services.db.query<z.infer<typeof TypeStats>['types'][number]>(
          `select ac.type, count(*)::int as total, count(*) filter (where ${OPEN})::int as open,
             count(*) filter (where ac.status = 'completed')::int as completed,
             count(*) filter (where ${OPEN} and ac.due_at < now())::int as overdue
           ${fromWhere} group by ac.type order by ac.type`,
          values,
        );
      });
      return c.json({ data: { types: rows } }, 200);
    },
  );
