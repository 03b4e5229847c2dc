// Tables managed by drizzle-kit migrations. audit_log is partitioned and hand-migrated:
// it is exported from ./all, not from here.

export * from './activities';
export * from './addresses';
export * from './audit-archives';
export * from './companies';
export * from './contact-companies';
export * from './contacts';
export * from './customer-relationships';
export * from './deal-cells';
export * from './deals';
export * from './export-jobs';
export * from './facet-counts';
export * from './field-values';
export * from './idempotency-keys';
export * from './leads';
export * from './org-generations';
export * from './orgs';
export * from './pipeline-stages';
export * from './pipelines';
export * from './record-embeddings';
export * from './reports';
export * from './rollups';
export * from './sharing';
export * from './tags';
export * from './teams';
export * from './users';
export * from './webhooks';
export * from './workflows';
