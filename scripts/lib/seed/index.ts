// The seed generator's public API (used by scripts/seed.ts, the test setup, dev and bench).

export { ANCHOR, orgSizes, planDataset, SEED_VERSION, type SeedParams } from './plan';
export { ensureSeeded, type SeedOptions, type SeedSummary, seedDatabase, seededWith } from './seed-database';
export { DEFAULT_PARAMS, SeedParamError, validateParams } from './validate';
export { type VerifyReport, verifyDataset } from './verify';
