// The seed generator's public API (used by scripts/seed.ts, the test setup, dev and bench).
export { ensureSeeded, seedDatabase, seededWith, type SeedOptions, type SeedSummary } from './seed-database';
export { ANCHOR, orgSizes, planDataset, SEED_VERSION, type SeedParams } from './plan';
export { DEFAULT_PARAMS, SeedParamError, validateParams } from './validate';
export { verifyDataset, type VerifyReport } from './verify';
