import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireAuth } from '../http/auth';
import { jsonBody } from '../http/body';
import type { AppContext } from '../http/context';
import { idempotency } from '../http/idempotency';
import { createRouter, errorResponses, problem } from '../http/openapi';
import { getRecords } from '../query/execute';
import type { ResourceDef } from '../query/resource';
import { type ConvertedIds, convertLead, leadConversionBody } from '../write/convert';
import { linkTag, unlinkTag } from '../write/tags';
import { CATALOG } from './registry';
import { RESOURCE_SCHEMAS } from './schema';
import { editContext } from './writes';

/**
 * Writes that join records rather than change one: converting a lead into a contact (and a
 * company and a deal), and putting tags on records. Each is one transaction with its audit rows,
 * like every write (src/write/).
 */

const uuid = (description: string) => z.guid().openapi({ description });

const linkResponses = {
  ...errorResponses,
  403: problem('The caller’s role may not make this write'),
  409: problem('The lead is already converted (`rule: lead_already_converted`), a uniqueness rule, or a concurrent idempotent request'),
  415: problem('The body is not JSON'),
  422: problem('A data rule (`rule`) or a reference outside the org'),
} as const;

const rowOf = (name: string) => RESOURCE_SCHEMAS[name]?.row ?? z.record(z.string(), z.unknown());

function convertRoute() {
  const router = createRouter();
  const converted = z
    .object({
      data: z.object({
        lead: rowOf('leads'),
        contact: rowOf('contacts'),
        company: rowOf('companies').optional().openapi({ description: 'When the body asked for a company (new or linked).' }),
        deal: rowOf('deals').optional().openapi({ description: 'When the body asked for a deal.' }),
      }),
    })
    .openapi('LeadConversion');
  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/leads/{id}/convert',
      tags: ['leads'],
      summary: 'Convert a lead into a contact, and optionally a company and a deal',
      description:
        "One transaction: the contact takes the lead's names, e-mail, phone, source and owner (the body's `contact` overrides them); `company` creates one (its name defaulting to the lead's company_name) or links `{id}`, and becomes the contact's primary company; `deal` creates one for them through the deal rules (default pipeline, first stage). The lead becomes `converted`, with `converted_contact_id`. A refusal anywhere leaves nothing written.",
      middleware: [requireAuth(), jsonBody(), idempotency()] as const,
      request: {
        params: z.object({ id: uuid('Lead id (UUID)') }),
        headers: z.object({ 'idempotency-key': z.string().optional().openapi({ description: 'Makes a retry safe (docs/api.md, Idempotency).' }) }),
        body: { content: { 'application/json': { schema: leadConversionBody(CATALOG) } }, required: true },
      },
      responses: {
        201: { description: 'Converted; every record as a GET renders it; X-Generation header', content: { 'application/json': { schema: converted } } },
        ...linkResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { ids, generation } = await convertLead(await editContext(c), id.toLowerCase(), c.req.valid('json'));
      const data = await render(c, ids);
      c.header('X-Generation', String(await generation));
      return c.json({ data: data as z.infer<typeof converted>['data'] }, 201);
    },
  );
  return router;
}

/** The converted records, read back as GETs render them (one statement each, sent together). */
async function render(c: Context<AppContext>, ids: ConvertedIds): Promise<Record<string, unknown>> {
  const ctx = await editContext(c);
  const parts = Object.entries({ lead: 'leads', contact: 'contacts', company: 'companies', deal: 'deals' } as const).flatMap(([role, resource]) => {
    const id = ids[role as keyof ConvertedIds];
    return id ? [{ role, id, resource }] : [];
  });
  const rows = await Promise.all(parts.map((p) => getRecords(ctx, CATALOG[p.resource], [p.id], { deleted: 'include' })));
  return Object.fromEntries(parts.map((p, i) => [p.role, rows[i].get(p.id)?.row ?? null]));
}

function tagRoutes(r: ResourceDef) {
  const router = createRouter();
  const params = z.object({ id: uuid(`Id of one of ${r.name} (UUID)`), tagId: uuid('Tag id (UUID)') });
  const path = `/v1/${r.name}/{id}/tags/{tagId}`;
  const tag = z.object({ data: rowOf('tags') });
  router.openapi(
    createRoute({
      method: 'put',
      path,
      tags: [r.name],
      summary: `Tag one of ${r.name}`,
      description: 'Idempotent: tagging a record that already has the tag answers the same and changes nothing. Audited as `tag` on the record.',
      middleware: [requireAuth()] as const,
      request: { params },
      responses: {
        200: { description: 'The tag, as GET /v1/tags renders it; X-Generation header', content: { 'application/json': { schema: tag } } },
        ...linkResponses,
      },
    }),
    async (c) => {
      const { id, tagId } = c.req.valid('param');
      const ctx = await editContext(c);
      const result = await linkTag(ctx, r, id.toLowerCase(), tagId.toLowerCase());
      const [generation, rows] = await Promise.all([result.generation, getRecords(ctx, CATALOG.tags, [tagId.toLowerCase()], { deleted: 'include' })]);
      c.header('X-Generation', String(generation));
      return c.json({ data: rows.get(tagId.toLowerCase())?.row ?? {} }, 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'delete',
      path,
      tags: [r.name],
      summary: `Untag one of ${r.name}`,
      description: 'A 404 when the record does not have the tag. Audited as `untag` on the record.',
      middleware: [requireAuth()] as const,
      request: { params },
      responses: { 204: { description: 'Untagged; X-Generation header' }, ...linkResponses },
    }),
    async (c) => {
      const { id, tagId } = c.req.valid('param');
      const result = await unlinkTag(await editContext(c), r, id.toLowerCase(), tagId.toLowerCase());
      c.header('X-Generation', String(await result.generation));
      return c.body(null, 204);
    },
  );
  return router;
}

/** POST /v1/leads/{id}/convert, and PUT/DELETE /v1/{resource}/{id}/tags/{tagId} for every tagged resource. */
export function linkRoutes() {
  const router = createRouter();
  router.route('/', convertRoute());
  for (const r of Object.values(CATALOG)) if (r.tagLinks && r.write) router.route('/', tagRoutes(r));
  return router;
}
