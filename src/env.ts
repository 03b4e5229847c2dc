import { z } from 'zod';

/**
 * Bindings come from `wrangler types` (src/worker-configuration.d.ts). Secrets that are not
 * in wrangler.toml are added here: DATABASE_URL selects Neon's serverless driver when no
 * Hyperdrive is bound; NEON_WS_PROXY points that driver at a local WebSocket→TCP proxy.
 */
export type AppEnv = Omit<Env, 'HYPERDRIVE' | 'HYPERDRIVE_CACHED' | 'TIERS' | 'WEBHOOK_ALLOW_LOOPBACK'> & {
  HYPERDRIVE?: Hyperdrive;
  /** Hyperdrive with query caching: only reads that tolerate its staleness (decision 0045). */
  HYPERDRIVE_CACHED?: Hyperdrive;
  /** Workers KV, the read tiers' global tier; without it the tiers skip KV. */
  TIERS?: KVNamespace;
  DATABASE_URL?: string;
  NEON_WS_PROXY?: string;
  /** Set to "true" in wrangler.toml for local development only; production leaves it unset. */
  WEBHOOK_ALLOW_LOOPBACK?: string;
};

const VarsSchema = z.object({
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters'),
  INTERNAL_TOKEN: z.string().min(8),
  /** AES-256 key (32 bytes, base64) sealing the secrets the service stores to use again: webhook signing secrets (src/core/seal.ts). */
  SECRETS_KEY: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'SECRETS_KEY must be 32 bytes, base64 (openssl rand -base64 32)'),
  COUNT_EXACT_LIMIT: z.coerce.number().int().positive().max(1_000_000).default(10_000),
  /** Bound on opening the database connection (TCP and login): past it, a 503. */
  CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  /** The longest a token may live: `exp - iat` and its age `now - iat` (src/http/auth.ts). */
  TOKEN_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The read tiers' staleness bound: no reading of an org's generations is older than this since
   * Postgres had it (src/cache/generations.ts), so no cached answer outlives a write by more.
   */
  GENERATION_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /** How old the org's Durable Object lets its copy of the generations get before reading Postgres again. */
  GENERATION_SYNC_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** `*`, or the comma-separated origins browsers may call from (a trailing slash is dropped). */
  CORS_ORIGINS: z
    .string()
    .max(4000)
    .default('*')
    .transform((raw): '*' | ReadonlySet<string> =>
      raw.trim() === '*'
        ? '*'
        : new Set(
            raw
              .split(',')
              .map((o) => o.trim().replace(/\/$/, ''))
              .filter(Boolean),
          ),
    ),
  /** Webhook URLs may be plain http to a loopback host (local receivers); otherwise https only. */
  WEBHOOK_ALLOW_LOOPBACK: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});
export type Vars = z.infer<typeof VarsSchema>;

const cache = new WeakMap<object, Vars>();

/** Vars validated once per env object (per isolate), not per request. */
export function readVars(env: AppEnv): Vars {
  let vars = cache.get(env);
  if (!vars) {
    vars = VarsSchema.parse(env);
    cache.set(env, vars);
  }
  return vars;
}
