import { connect } from 'cloudflare:sockets';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { DatabaseError, serialize } from 'pg-protocol';
import type { BackendMessage, DataRowMessage, RowDescriptionMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';
import { prepareValue } from 'pg/lib/utils';
import sasl from 'pg/lib/crypto/sasl';

/**
 * A Postgres client for the Worker's plain-TCP hop (Hyperdrive, or a local pooler) that sends
 * the request's first statement right behind the password instead of after the server's
 * ReadyForQuery. A Worker opens a connection per request, so the handshake is on every
 * request's critical path: `pg` waits for authentication to finish before it writes a
 * query; here the statement rides in the same packet as the password message, which saves a
 * round trip per request (the server reads messages in order and runs the statement once
 * the login succeeds; if it fails, the statement fails with it).
 *
 * Only what this API uses: unnamed extended-protocol statements with text parameters and
 * text results, parsed by pg's own type parsers and value serialiser, and errors as pg's own
 * DatabaseError, so callers see exactly what `pg` would give them. Protocol encoding and
 * decoding are pg-protocol's (node-postgres' own); SCRAM is pg's. TLS stays with `pg`.
 */
export interface WireOptions {
  connectionString: string;
  /**
   * Cancels each statement that runs longer, set inside the statement's own implicit
   * transaction (`set_config(..., true)` in the same Sync group): a startup parameter would
   * not do, since transaction-mode poolers (PgBouncer, Hyperdrive) drop it, and a session
   * SET would leak to the next client of the pooled server connection.
   */
  statementTimeoutMs?: number;
}

interface Pending {
  resolve(rows: Record<string, unknown>[]): void;
  reject(err: unknown): void;
  fields: RowDescriptionMessage['fields'] | null;
  parsers: Array<(v: string) => unknown>;
  rows: Record<string, unknown>[];
  error: unknown;
  /** Leading result sets that are not the caller's (the timeout's set_config). */
  skip: number;
}

/** A dropped connection, with SQLSTATE 08006 (connection_failure) like a server-side one. */
function connectionLost(message: string): Error {
  return Object.assign(new Error(message), { code: '08006' });
}

/** Sent ahead of each statement in its implicit transaction: the timeout lasts for that statement only. */
export const SET_TIMEOUT = "select set_config('statement_timeout', $1, true)";

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

export class WireClient {
  private socket: Socket | null = null;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private readonly parser = new Parser();
  /** Statements written to the socket, answered in order. */
  private readonly inFlight: Pending[] = [];
  /** Statements asked for before the password went out: written right behind it. */
  private held: Array<{ pending: Pending; bytes: Buffer }> = [];
  private authSent = false;
  private ready = false;
  private failure: Error | null = null;
  private sasl: ReturnType<typeof sasl.startSession> | null = null;
  private readonly url: URL;
  private startedAt = 0;
  onError: ((err: Error) => void) | null = null;
  /** Statements that went out in the same write as the login's last message. */
  pipelined = 0;
  /** Statements written after the login while earlier ones were still unanswered (not waiting for them). */
  overlapped = 0;
  /** Milliseconds from start() to the end of the login (0 until then). */
  connectMs = 0;

  constructor(private readonly options: WireOptions) {
    this.url = new URL(options.connectionString);
  }

  private get user(): string {
    return decodeURIComponent(this.url.username);
  }
  private get password(): string {
    return decodeURIComponent(this.url.password);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Opens the socket and sends the startup message, without waiting for anything. Statements asked for until the login is answered go out with the password. */
  start(): void {
    if (!this.socket && !this.failure) this.open();
  }

  /** One statement; if the login is still in flight, it is written behind the password. */
  query(text: string, values: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    this.start();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timeout = this.options.statementTimeoutMs;
      const pending: Pending = { resolve, reject, fields: null, parsers: [], rows: [], error: null, skip: timeout ? 1 : 0 };
      const bytes = Buffer.concat([
        ...(timeout ? [serialize.parse({ text: SET_TIMEOUT }), serialize.bind({ values: [`${timeout}ms`] }), serialize.execute()] : []),
        serialize.parse({ text }),
        serialize.bind({ values: values.map((v) => prepareValue(v)) }),
        serialize.describe({ type: 'P' }),
        serialize.execute(),
        serialize.sync(),
      ]);
      if (this.authSent) this.send(bytes, pending);
      else this.held.push({ pending, bytes });
    });
  }

  async end(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    try {
      if (this.writer && !this.failure) await this.writer.write(serialize.end());
    } catch {
      // Already gone: closing is all that is left.
    }
    this.fail(connectionLost('Connection terminated'), false);
    await socket.close().catch(() => {});
  }

  private open(): void {
    this.startedAt = performance.now();
    const port = Number(this.url.port || 5432);
    const socket = connect({ hostname: this.url.hostname, port });
    this.socket = socket;
    this.writer = socket.writable.getWriter();
    const database = decodeURIComponent(this.url.pathname.slice(1)) || this.user;
    this.write(serialize.startup({ user: this.user, database, client_encoding: 'UTF8' }));
    void this.read(socket.readable.getReader());
    socket.closed.then(
      () => this.fail(connectionLost('Connection terminated unexpectedly')),
      (err) => this.fail(err),
    );
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return this.fail(connectionLost('Connection terminated unexpectedly'));
        this.parser.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength), (msg) => this.handle(msg));
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private write(bytes: Uint8Array): void {
    this.writer?.write(bytes).catch((err) => this.fail(err));
  }

  private send(bytes: Buffer, pending: Pending): void {
    if (this.inFlight.length) this.overlapped++;
    this.inFlight.push(pending);
    this.write(bytes);
  }

  /**
   * The password (or last SASL) message, with every held statement in the same write. Under
   * SCRAM they leave before the server's signature is checked; this client only speaks plain
   * TCP (TLS stays with pg), where the path to the server is trusted already.
   */
  private sendAuth(message: Buffer, final: boolean): void {
    if (!final) return this.write(message);
    this.authSent = true;
    const held = this.held;
    this.held = [];
    for (const h of held) this.inFlight.push(h.pending);
    this.pipelined += held.length;
    const bytes = held.length ? Buffer.concat([message, ...held.map((h) => h.bytes)]) : message;
    if (bytes.length) this.write(bytes);
  }

  private handle(msg: BackendMessage): void {
    const m = msg as BackendMessage & Record<string, unknown>;
    switch (msg.name) {
      case 'authenticationMD5Password': {
        const inner = md5(this.password + this.user);
        this.sendAuth(serialize.password('md5' + md5(Buffer.concat([Buffer.from(inner), m.salt as Buffer]))), true);
        return;
      }
      case 'authenticationCleartextPassword':
        this.sendAuth(serialize.password(this.password), true);
        return;
      case 'authenticationSASL': {
        this.sasl = sasl.startSession(m.mechanisms as string[], false);
        this.sendAuth(serialize.sendSASLInitialResponseMessage(this.sasl.mechanism, this.sasl.response), false);
        return;
      }
      case 'authenticationSASLContinue': {
        const session = this.sasl;
        if (!session) return this.fail(new Error('SASL: unexpected continue message'));
        sasl.continueSession(session, this.password, m.data as string, false).then(
          () => this.sendAuth(serialize.sendSCRAMClientFinalMessage(session.response), true),
          (err: unknown) => this.fail(err),
        );
        return;
      }
      case 'authenticationSASLFinal':
        try {
          if (this.sasl) sasl.finalizeSession(this.sasl, m.data as string);
        } catch (err) {
          this.fail(err);
        }
        return;
      case 'authenticationOk':
        // Trust: no password was asked for, so held statements go out now.
        if (!this.authSent) this.sendAuth(Buffer.alloc(0), true);
        return;
      case 'readyForQuery':
        if (!this.ready) {
          this.ready = true;
          this.connectMs = performance.now() - this.startedAt;
          return;
        }
        this.finish();
        return;
      case 'rowDescription':
        this.current((p) => {
          p.fields = (msg as RowDescriptionMessage).fields;
          p.parsers = p.fields.map((f) => pg.types.getTypeParser(f.dataTypeID, 'text') as (v: string) => unknown);
        });
        return;
      case 'dataRow':
        this.current((p) => {
          if (p.skip > 0) return;
          const fields = p.fields ?? [];
          const values = (msg as DataRowMessage).fields;
          const row: Record<string, unknown> = {};
          for (let i = 0; i < fields.length; i++) {
            const v = values[i];
            row[fields[i].name] = v === null ? null : p.parsers[i](v);
          }
          p.rows.push(row);
        });
        return;
      case 'commandComplete':
        this.current((p) => {
          if (p.skip <= 0) return;
          p.skip--;
          p.rows = [];
          p.fields = null;
        });
        return;
      case 'error':
        if (!this.ready) return this.fail(msg as unknown as DatabaseError);
        this.current((p) => (p.error ??= msg));
        return;
      case 'copyInResponse':
      case 'copyOutResponse':
        // The API never runs COPY; the protocol would wait for us forever.
        return this.fail(new Error('COPY is not supported by this client'));
      default:
        // parseComplete, bindComplete, noData, parameterStatus,
        // backendKeyData, notice: nothing to keep.
        return;
    }
  }

  private current(fn: (p: Pending) => void): void {
    const head = this.inFlight[0];
    if (head) fn(head);
  }

  private finish(): void {
    const p = this.inFlight.shift();
    if (!p) return;
    if (p.error) p.reject(p.error);
    else p.resolve(p.rows);
  }

  private fail(err: unknown, report = true): void {
    if (this.failure) return;
    // Server errors keep their SQLSTATE; anything else (a refused or reset socket) is 08006.
    const error = typeof (err as { code?: unknown })?.code === 'string' ? (err as Error) : connectionLost(err instanceof Error ? err.message : String(err));
    this.failure = error;
    const waiting = [...this.inFlight.splice(0), ...this.held.splice(0).map((h) => h.pending)];
    for (const p of waiting) p.reject(p.error ?? error);
    this.writer = null;
    // Reported only when no caller is waiting to receive it (an idle connection dropped).
    if (report && !waiting.length) this.onError?.(error);
  }
}
