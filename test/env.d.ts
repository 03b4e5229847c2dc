declare global {
  namespace Cloudflare {
    interface Env {
      TEST_DATABASE_URL: string;
      NEON_WS_PROXY: string;
      /** test/global-setup.ts's webhook receiver (test/support/receiver.ts). */
      TEST_WEBHOOK_RECEIVER_URL: string;
    }
  }
}

export {};
