import { createRoute, z } from '@hono/zod-openapi';
import type { TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';
import { requireAuth } from '../../http/auth';
import { createRouter, errorResponses } from '../../http/openapi';
import type { Count } from '../../query/count';
import type { UserGrants } from '../../sharing/types';
import { underAccess } from '../access';
import { CATALOG } from '../registry';
import { type TierPolicy, throughTiers } from '../tiers';
import { GENDER_LABELS } from './fields';
import { parseAppUsersQuery } from './parse';
import { listAppUsers } from './service';

const Param = (description: string, example?: string) =>
  z
    .string()
    .optional()
    .openapi({ description, ...(example ? { example } : {}) });

/** Every parameter is a string here: the seed ignores malformed filter values, so parsing is lenient (parse.ts). */
const AppUsersParams = z.object({
  page: Param(
    'Page number, 1-based, or "last" (default 1). A page that is not an integer, below 1 or past the last is a 404 `{"detail": "Invalid page."}`.',
    '1',
  ),
  page_size: Param('Rows per page (default 20, capped at 1000).', '20'),
  ordering: Param(
    'Comma-separated fields to order by, each with "-" for descending, all honoured in turn: id, first_name, last_name, gender, customer_id, phone_number, created, birthday, last_updated. Unknown fields are ignored; with none left, -created.',
    'last_name,-created',
  ),
  first_name: Param('Case-insensitive contains.', 'an'),
  last_name: Param('Case-insensitive contains.'),
  phone_number: Param('Case-insensitive contains.'),
  city: Param('Address city, case-insensitive contains.', 'ber'),
  street: Param('Address street, case-insensitive contains.'),
  country: Param('Address country, case-insensitive contains.'),
  gender: Param('Exact, one of the choices: Male, Female, Other, Prefer not to say (without regard to case). Any other value matches nothing.', 'Female'),
  customer_id: Param('Exact.'),
  birthday: Param('Exact date YYYY-MM-DD; a malformed date is ignored.'),
  points_min: Param('Some relationship has at least this many points (one relationship satisfies all relationship filters together).'),
  points_max: Param('Some relationship has at most this many points.'),
  last_activity_after: Param('Some relationship was active at or after this date (YYYY-MM-DD, midnight UTC) or ISO 8601 date-time.'),
});

const AppUser = z
  .object({
    id: z.uuid(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    gender: z.enum(Object.values(GENDER_LABELS)).nullable(),
    customer_id: z.string().nullable(),
    phone_number: z.string().nullable(),
    created: z.string(),
    birthday: z.string().nullable(),
    last_updated: z.string(),
    address: z
      .object({
        street: z.string().nullable(),
        street_number: z.string().nullable(),
        city_code: z.string().nullable(),
        city: z.string().nullable(),
        country: z.string().nullable(),
      })
      .nullable(),
    relationships: z.array(z.object({ points: z.number().int(), created: z.string(), last_activity: z.string().nullable() })),
  })
  .openapi('AppUser');

const AppUsersResponse = z
  .object({
    count: z.number().int(),
    page: z.number().int(),
    pages: z.number().int(),
    results: z.array(AppUser),
    meta: z.object({
      query_time: z.number().describe('Seconds spent in the database'),
      response_time: z.number().describe('Seconds spent serving the request'),
      cache_hit: z.boolean(),
      count_method: z.enum(['exact', 'planned', 'estimated']),
      queries: z.number().int(),
      request_id: z.string(),
    }),
  })
  .openapi('AppUsersPage');

const listRoute = createRoute({
  method: 'get',
  path: '/api/v1/appusers/',
  tags: ['compatibility'],
  summary: 'List app users (the seed service contract)',
  description:
    'Contacts with their address and loyalty relationships (newest first), filtered, ordered and paged as the original CRM Performance Backend (Django 5.2 + DRF 3.16) did. `count` is exact up to COUNT_EXACT_LIMIT matches and a sampled estimate (within about 10 %) above it; `meta.count_method` says which. Differences from the service: docs/api.md.',
  middleware: [requireAuth({ prewarm: false })] as const,
  request: { query: AppUsersParams },
  responses: { 200: { description: 'A page of app users', content: { 'application/json': { schema: AppUsersResponse } } }, ...errorResponses },
});

/**
 * Tier policy, declared beside the route: memory, the Cache API for a minute, KV for five minutes
 * once a page is read twice (the seed cached whole pages for 5 minutes, keyed by URL alone).
 */
const APPUSERS_POLICY: TierPolicy = { memory: true, edgeTtlSeconds: 60, kvTtlSeconds: 300 };

export const appUsersRoutes = createRouter().openapi(listRoute, async (c) => {
  const started = performance.now();
  const { db, vars } = c.var.services;
  const query = parseAppUsersQuery(c.req.query());
  return throughTiers(c, {
    policy: APPUSERS_POLICY,
    resource: CATALOG.contacts,
    key: { kind: 'appusers', query },
    load: async () => {
      let grants: UserGrants | undefined;
      const page = await underAccess(c, (access) => {
        grants = access;
        return listAppUsers({ db, auth: c.var.auth, query, countLimit: vars.COUNT_EXACT_LIMIT, access });
      });
      return { text: JSON.stringify(page.results), info: { count: page.count, page: page.page, pages: page.pages }, grants };
    },
    render: (served) => {
      const { count, page, pages } = served.entry.info as { count: Count; page: number; pages: number };
      const seconds = (ms: number) => Math.round(ms * 1000) / 1_000_000;
      const meta = {
        query_time: seconds(db.stats.ms),
        response_time: seconds(performance.now() - started),
        // As in the seed: true when a cache answered (here any read tier; meta.tier is not part of this contract).
        cache_hit: served.tier !== 'db',
        count_method: count.method,
        queries: db.stats.queries,
        request_id: c.var.requestId,
      };
      return c.body(`{"count":${count.value},"page":${page},"pages":${pages},"results":${served.entry.text},"meta":${JSON.stringify(meta)}}`, 200, {
        'Content-Type': 'application/json',
      });
    },
  }) as unknown as Promise<TypedResponse<JSONParsed<z.infer<typeof AppUsersResponse>>, 200, 'json'>>;
});
