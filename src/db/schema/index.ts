// Tables managed by drizzle-kit migrations. audit_log is partitioned and hand-migrated:
// it is exported from ./all, not from here.
export * from './orgs';
export * from './teams';
export * from './users';
export * from './addresses';
export * from './companies';
export * from './contacts';
export * from './customer-relationships';
export * from './contact-companies';
export * from './leads';
export * from './pipelines';
export * from './pipeline-stages';
export * from './deals';
export * from './activities';
export * from './tags';
export * from './sharing';
export * from './export-jobs';
export * from './workflows';
export * from './rollups';
export * from './idempotency-keys';
export * from './record-embeddings';
export * from './field-values';
