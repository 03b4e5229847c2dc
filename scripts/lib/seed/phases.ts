// The load, as phases of independent jobs. Phases follow foreign-key order, so the load
// is also correct when FK triggers stay on; within a phase, jobs run in parallel.

import { FIELD_VALUE_COLUMNS } from '../../../src/db/schema/field-values';
import type { SeedCtx } from './context';
import { activitiesSql, TAGGING, type TaggedKind, tagLinksSql } from './load-activities';
import { coreStatements } from './load-core';
import { companiesSql, companyAddressesSql, contactAddressesSql, contactsSql } from './load-people';
import { contactCompaniesSql, dealsSql, leadsSql, relationshipsSql } from './load-related';
import { sharingStatements } from './load-sharing';
import { chunks, type OrgPlan, type Range } from './plan';
import { type Job, job } from './runner';

/** Rows per job: big enough to amortise planning, small enough to keep both cores busy. */
const CHUNK = 100_000;

export interface Phase {
  name: string;
  jobs: Job[];
}

/** Tables whose secondary indexes are dropped for the load (the small ones keep theirs). */
export const BULK_TABLES = [
  'addresses',
  'companies',
  'contacts',
  'contact_companies',
  'customer_relationships',
  'leads',
  'deals',
  'activities',
  'contact_tags',
  'company_tags',
  'deal_tags',
  'lead_tags',
];

type Build = (org: OrgPlan, lo: number, hi: number) => string | string[];

/** One job per chunk of `range(org)` in every org; `cost` is relative work per row. */
function perChunk(ctx: SeedCtx, table: string, range: (o: OrgPlan) => Range, cost: number, build: Build, size = CHUNK): Job[] {
  return ctx.plan.orgs.flatMap((org) =>
    chunks(range(org), size).map(([lo, hi]) => {
      const sql = [build(org, lo, hi)].flat();
      return { label: `${table} ${org.slug} ${lo}-${hi}`, statements: sql.map((s) => ({ table, sql: s })), weight: (hi - lo + 1) * cost };
    }),
  );
}

/** A company's address goes in first, on the same connection: FK order when triggers stay on. */
function companyJobs(ctx: SeedCtx): Job[] {
  return ctx.plan.orgs.flatMap((org) =>
    chunks(org.companies, CHUNK).map(([lo, hi]) => ({
      label: `companies ${org.slug} ${lo}-${hi}`,
      statements: [
        { table: 'addresses', sql: companyAddressesSql(ctx, org, lo, hi) },
        { table: 'companies', sql: companiesSql(ctx, org, lo, hi) },
      ],
      weight: (hi - lo + 1) * 2.5,
    })),
  );
}

function tagJobs(ctx: SeedCtx, kind: TaggedKind, range: (o: OrgPlan) => Range): Job[] {
  const { table, share, max } = TAGGING[kind];
  return perChunk(ctx, table, range, share * max, (org, lo, hi) => tagLinksSql(ctx, org, kind, lo, hi));
}

export function loadPhases(ctx: SeedCtx): Phase[] {
  const core: Job = { label: 'core tables', statements: coreStatements(ctx), weight: 1 };
  return [
    { name: 'core', jobs: [core] },
    {
      name: 'companies+addresses',
      jobs: [
        ...perChunk(
          ctx,
          'addresses',
          (o) => o.contacts,
          1,
          (o, lo, hi) => contactAddressesSql(ctx, o, lo, hi),
        ),
        ...companyJobs(ctx),
      ],
    },
    {
      name: 'contacts',
      jobs: perChunk(
        ctx,
        'contacts',
        (o) => o.contacts,
        2,
        (o, lo, hi) => contactsSql(ctx, o, lo, hi),
      ),
    },
    {
      name: 'related',
      jobs: [
        ...perChunk(
          ctx,
          'contact_companies',
          (o) => o.contacts,
          0.6,
          (o, lo, hi) => contactCompaniesSql(ctx, o, lo, hi),
        ),
        ...perChunk(
          ctx,
          'customer_relationships',
          (o) => o.contacts,
          1.5,
          (o, lo, hi) => relationshipsSql(ctx, o, lo, hi),
        ),
        ...perChunk(
          ctx,
          'leads',
          (o) => o.leads,
          2,
          (o, lo, hi) => leadsSql(ctx, o, lo, hi),
        ),
        ...perChunk(
          ctx,
          'deals',
          (o) => o.deals,
          2,
          (o, lo, hi) => dealsSql(ctx, o, lo, hi),
        ),
      ],
    },
    {
      name: 'activities+tags',
      jobs: [
        ...perChunk(
          ctx,
          'activities',
          (o) => o.activities,
          2,
          (o, lo, hi) => activitiesSql(ctx, o, lo, hi),
          2 * CHUNK,
        ),
        ...tagJobs(ctx, 'contact', (o) => o.contacts),
        ...tagJobs(ctx, 'company', (o) => o.companies),
        ...tagJobs(ctx, 'deal', (o) => o.deals),
        ...tagJobs(ctx, 'lead', (o) => o.leads),
        { label: 'sharing rules and shares', statements: sharingStatements(ctx), weight: 1 },
      ],
    },
  ];
}

/** The distinct values of repeating fields (migration 0007's triggers, skipped by the load), per table. */
export function fieldValueJobs(): Job[] {
  return Object.entries(FIELD_VALUE_COLUMNS).map(([t, cols]) =>
    job('field_values', `field values of ${t}`, `SELECT crm_fill_field_values('${t}', ARRAY[${cols.map((c) => `'${c}'`).join(', ')}])`, 1),
  );
}

/**
 * VACUUM sets hint bits and the visibility map now rather than during the first reads. With
 * field_values, filled after the load: the value walk reads it by index-only scans, which
 * without the map fetch every value from the heap.
 */
export function vacuumJobs(rows: Map<string, number>): Job[] {
  return [...BULK_TABLES, 'field_values'].map((t) => job(t, `vacuum ${t}`, `VACUUM ${t}`, rows.get(t) ?? 0));
}

export function analyzeJobs(tables: string[], rows: Map<string, number>): Job[] {
  return tables.map((t) => job(t, `analyze ${t}`, `ANALYZE ${t}`, rows.get(t) ?? 0));
}
