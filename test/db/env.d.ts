// Bindings the database tests read (vitest.config.ts; the servers come from test/global-setup.ts).
declare global {
  namespace Cloudflare {
    interface Env {
      /** The test database through PgBouncer in transaction mode. */
      TEST_POOLER_URL: string;
      /** A server that accepts connections and never answers. */
      TEST_HUNG_DB_URL: string;
    }
  }
}

export {};
