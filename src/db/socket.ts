import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { CloudflareSocket } from 'pg-cloudflare';

/**
 * pg-cloudflare's socket (what pg uses in Workers), plus the cork/uncork of Node's sockets,
 * which pg already calls around each statement's messages (Parse, Bind, Describe, Execute,
 * Sync). Without them every message went out in a write of its own. Pipelined behind a
 * transaction-mode pooler that hands the server connection on at a ReadyForQuery when it has
 * seen no further Sync (PgBouncer 1.18), a statement whose first messages had arrived but
 * whose Sync had not was split across two server connections: 'portal "" does not exist', or
 * another client's rows (test/db/client.test.ts proves they never mix). Handed to pg through
 * its documented `stream` option.
 */
export class StatementSocket extends CloudflareSocket {
  private held: Uint8Array[] | null = null;

  cork(): void {
    this.held ??= [];
  }

  uncork(): void {
    const parts = this.held;
    this.held = null;
    if (parts?.length) super.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }

  // biome-ignore lint/suspicious/noExplicitAny: the overloads of CloudflareSocket.write, passed through
  write(data: Uint8Array | string, ...rest: any[]): ReturnType<CloudflareSocket['write']> {
    if (this.held && rest.length === 0 && typeof data !== 'string') {
      this.held.push(data);
      return true;
    }
    return super.write(data, ...rest);
  }
}

/** pg's `stream` option: a StatementSocket per connection (TLS when the connection string asks for it). */
export function statementStream(config?: { ssl?: unknown }): Duplex {
  // pg types the option as Node's Duplex; this socket implements the part pg uses, as pg-cloudflare's does.
  return new StatementSocket(!!config?.ssl) as unknown as Duplex;
}
