declare global {
  namespace Cloudflare {
    interface Env {
      TEST_DATABASE_URL: string;
      NEON_WS_PROXY: string;
    }
  }
}

export {};
