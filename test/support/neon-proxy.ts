// A WebSocket→TCP proxy, the local stand-in for Neon's proxy: each WebSocket carries one
// Postgres connection's bytes. Lets the Neon serverless driver reach a plain Postgres.

import { createRequire } from 'node:module';
import net from 'node:net';
import type { WebSocketServer as WSS } from 'ws';

// Loaded through require: under Vite's SSR resolution `ws` would resolve to its browser stub.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WSS };

export function startNeonProxy(port: number, pg: { host: string; port: number }): Promise<() => Promise<void>> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1' });
  wss.on('connection', (ws) => {
    const socket = net.connect(pg.port, pg.host);
    ws.on('message', (data) => socket.write(data as Buffer));
    socket.on('data', (chunk) => ws.readyState === ws.OPEN && ws.send(chunk));
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
    socket.on('close', () => ws.close());
    socket.on('error', () => ws.close());
  });
  return new Promise((resolve, reject) => {
    wss.once('listening', () =>
      resolve(
        () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      ),
    );
    wss.once('error', reject);
  });
}
