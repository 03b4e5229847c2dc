// The webhook receiver the global setup runs (test/global-setup.ts), read from inside workerd.
import { env } from 'cloudflare:test';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A path of the receiver's no other test uses, and its URL. */
export function receiverPath(): { path: string; url: string } {
  const path = `/hooks/${crypto.randomUUID()}`;
  return { path, url: `${env.TEST_WEBHOOK_RECEIVER_URL}${path}` };
}

/** Every request the receiver got on `path`, oldest first. */
export async function received(path: string): Promise<Received[]> {
  const res = await fetch(`${env.TEST_WEBHOOK_RECEIVER_URL}/_receiver/requests?path=${encodeURIComponent(path)}`);
  return res.json();
}

/** Makes the receiver answer `status` to requests on `path`. */
export async function answerWith(path: string, status: number): Promise<void> {
  const res = await fetch(`${env.TEST_WEBHOOK_RECEIVER_URL}/_receiver/status?path=${encodeURIComponent(path)}&status=${status}`, { method: 'PUT' });
  await res.body?.cancel();
}

/** Waits until `path` got `count` requests (the queue delivers within its batch timeout), and returns them. */
export async function receivedAtLeast(path: string, count: number, timeoutMs = 15_000): Promise<Received[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(path);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`${path}: ${got.length} of ${count} requests after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
