import { connect } from 'cloudflare:sockets';
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';

/**
 * The Duplex that `pg` talks to, over a Workers TCP socket (plain TCP: the Worker's hop to
 * Hyperdrive or a local pooler). pg's own adapter (pg-cloudflare) copies every chunk it
 * reads into a new Buffer byte by byte, in the JS Buffer polyfill, and imports the sockets
 * module per connection; on a 25-row page that copy was the largest single cost of the
 * driver in a CPU profile. Here each chunk is wrapped, not copied: the reader hands over
 * a fresh Uint8Array per read, so a view of it is safe to keep.
 */
export class WorkerSocket extends EventEmitter {
  writable = false;
  destroyed = false;
  private socket: Socket | null = null;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  /** After end(): the read that closing cancels is expected, not an error. */
  private ending = false;
  /** Writes made in one turn (pg sends Parse, Bind, Describe, Execute, Sync one by one) go out as one. */
  private pending: Uint8Array[] = [];
  private pendingCallbacks: Array<(err?: unknown) => void> = [];

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  connect(port: number | string, host: string, listener?: () => void): this {
    if (listener) this.once('connect', listener);
    try {
      const socket = connect({ hostname: host, port: Number(port) });
      this.socket = socket;
      this.writer = socket.writable.getWriter();
      socket.closed.then(
        () => this.closed(socket),
        (err) => this.fail(err),
      );
      void this.read(socket.readable.getReader());
      this.writer.ready.then(
        () => {
          this.writable = true;
          this.emit('connect');
        },
        (err) => this.fail(err),
      );
    } catch (err) {
      queueMicrotask(() => this.fail(err));
    }
    return this;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.emit('data', Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (err) {
      this.fail(err);
    }
  }

  write(data: Uint8Array | string, encodingOrCallback?: BufferEncoding | ((err?: unknown) => void), callback?: (err?: unknown) => void): boolean {
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    const bytes = typeof data === 'string' ? Buffer.from(data, typeof encodingOrCallback === 'string' ? encodingOrCallback : 'utf8') : data;
    if (!this.writer || bytes.length === 0) {
      done?.();
      return true;
    }
    if (!this.pending.length) queueMicrotask(() => this.flush());
    this.pending.push(bytes);
    if (done) this.pendingCallbacks.push(done);
    return true;
  }

  private flush(): void {
    const chunks = this.pending;
    const callbacks = this.pendingCallbacks;
    this.pending = [];
    this.pendingCallbacks = [];
    if (!this.writer) {
      for (const cb of callbacks) cb(new Error('The socket is closed.'));
      return;
    }
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    this.writer.write(bytes).then(
      () => {
        for (const cb of callbacks) cb();
      },
      (err) => {
        for (const cb of callbacks) cb(err);
        this.fail(err);
      },
    );
  }

  end(data?: Uint8Array | string, _encoding?: BufferEncoding, callback?: () => void): this {
    const close = () => {
      this.ending = true;
      this.writable = false;
      const socket = this.socket;
      socket?.close().catch(() => {});
      callback?.();
    };
    if (data && data.length) this.write(data, close);
    else close();
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this.end();
  }

  private closed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.writer = null;
    this.writable = false;
    this.emit('close');
  }

  private fail(err: unknown): void {
    if (this.ending) return;
    this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }
}
