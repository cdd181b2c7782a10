/**
 * What the server integration tests share: a server listening on 127.0.0.1:0, raw HTTP requests
 * over a socket (clients such as fetch normalize `..` away before sending), a WebSocket client
 * that collects messages, and a logger stream tests can wait on.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { buildServer } from '../../server/build-server.js';
import type { ServerOptions } from '../../server/options.js';

/** A started server and its base URL. */
export interface Started {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
}

/** Builds and listens on 127.0.0.1 with a free port. */
export async function startServer(options: ServerOptions): Promise<Started> {
  const app = buildServer(options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port };
}

/** One raw HTTP/1.1 answer. */
export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Sends `GET <target>` byte for byte (no client-side normalization) and reads the whole answer. */
export function rawGet(port: number, target: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error(`timeout on ${target}`)));
    socket.on('connect', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split < 0 ? '' : text.slice(split + 4) });
    });
  });
}

let tokens = 0;

/** A page's signalling socket, open (the server sent OPEN): its proven id and token. */
export interface SignalledSocket {
  readonly ws: WebSocket;
  readonly id: string;
  readonly token: string;
  /** Every frame received after OPEN, as text. */
  readonly frames: string[];
}

/**
 * Opens the socket a page uses for signalling and tracker alike, as the stock peerjs client does:
 * an id from `GET …/peerjs/id`, then the WebSocket with that id and a token; resolves on OPEN.
 * `id`/`token` given: reconnects with them (the server decides whether that is allowed).
 */
export async function signalledSocket(
  baseUrl: string,
  options: { readonly localAddress?: string; readonly id?: string; readonly token?: string } = {},
): Promise<SignalledSocket> {
  const id = options.id ?? (await (await fetch(`${baseUrl}/swarmcdn/peerjs/peerjs/id`)).text());
  const token = options.token ?? `t${++tokens}x${process.pid}`;
  const url = `${baseUrl.replace(/^http/, 'ws')}/swarmcdn/peerjs/peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=${token}&version=1.5.5`;
  const ws = new WebSocket(url, { localAddress: options.localAddress ?? '127.0.0.1' });
  const frames: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const text = String(data);
      if (text === '{"type":"OPEN"}') resolve();
      else frames.push(text);
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`signalling socket closed before OPEN: ${code} ${String(reason)} ${frames.join(' ')}`)));
  });
  ws.removeAllListeners('error');
  ws.removeAllListeners('close');
  ws.on('error', () => undefined);
  return { ws, id, token, frames };
}

/** A WebSocket client that keeps every JSON message it receives. */
export class WsClient {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** A page's signalling socket (signalledSocket), which carries the tracker too; `id` is its proven id. */
  static async signalled(baseUrl: string): Promise<WsClient & { readonly id: string }> {
    const { ws, id, frames } = await signalledSocket(baseUrl);
    ws.removeAllListeners('message');
    const client = new WsClient(ws);
    for (const frame of frames) client.messages.push(JSON.parse(frame) as Record<string, unknown>);
    return Object.assign(client, { id });
  }

  /** Connects and resolves once open. */
  static open(url: string): Promise<WsClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The first message (received before or after the call) that matches, within `ms`. */
  async next(match: (m: Record<string, unknown>) => boolean, ms = 2_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${ms} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** A pino destination that keeps parsed entries, so a test can wait for a log line instead of sleeping. */
export class LogCapture {
  readonly entries: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];

  /** The `logger` option for buildServer. */
  logger(level = 'info'): Record<string, unknown> {
    return { level, stream: { write: (line: string) => this.push(line) } };
  }

  private push(line: string): void {
    this.entries.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of this.waiters.splice(0)) w();
  }

  /** The first entry that matches, within `ms`. */
  async next(match: (e: Record<string, unknown>) => boolean, ms = 5_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.entries.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching log entry within ${ms} ms; got ${JSON.stringify(this.entries.map((e) => e.msg))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
