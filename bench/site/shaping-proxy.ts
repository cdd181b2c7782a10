/**
 * The bench's network: a small HTTP proxy in front of the origin (tc netem is not available here).
 * It adds a fixed latency to every request (half before forwarding it, half before the response's
 * first byte; on WebSocket upgrades, half on every chunk each way), paces response bodies through
 * one token bucket per visitor (one household downlink each), injects the swarm tag into HTML on
 * the "with SW" origin only, and records what it served to whom. A visitor is named by the
 * `swarmcdn-bench-visitor` cookie its browser context carries (its SW's fetches carry it too).
 * Listens on 127.0.0.1 only.
 */
import { request as httpRequest, createServer, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Duplex } from 'node:stream';
import { injectTag } from './inject-tag.js';
import { TokenBucket } from './token-bucket.js';

/** The cookie that names a visitor to the proxy. */
export const VISITOR_COOKIE = 'swarmcdn-bench-visitor';

/** Where a proxy with `bareSw` serves the bare SW (never forwarded). */
export const BARE_SW_PATH = '/bench-bare-sw.js';
/**
 * The ceiling row's SW: it claims every page and answers every non-navigation request with
 * `fetch(request)`, nothing else, so the walk pays only for having a SW in front of each request.
 */
const BARE_SW_SCRIPT = `self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => { if (e.request.mode !== 'navigate') e.respondWith(fetch(e.request)); });
`;
/** The tag the bare-SW origin injects: register that SW, nothing of swarmcdn. */
export const BARE_SW_TAG = `<script>navigator.serviceWorker && navigator.serviceWorker.register('${BARE_SW_PATH}')</script>`;

/** How a proxy shapes and rewrites. */
export interface ProxyOptions {
  readonly upstreamPort: number;
  /** The swarm tag to put first in every HTML `<head>`; undefined serves HTML untouched. */
  /** Serve the ceiling row's bare SW at BARE_SW_PATH. */
  readonly bareSw?: boolean;
  readonly tag: string | undefined;
  /** Added per request (and per WebSocket round trip); 0 for none. */
  readonly latencyMs: number;
  /** Each visitor's downlink for response bodies; undefined for unlimited. */
  readonly bytesPerSecond: number | undefined;
  /** URL path → size of every file in the site's manifest (for the file-byte accounting). */
  readonly manifestSizes: ReadonlyMap<string, number>;
}

/** One response the proxy served. */
export interface ProxyRecord {
  readonly visitor: string;
  readonly path: string;
  /** `sec-fetch-dest`: `document` for navigations, `empty` for fetch() (and a SW's fetches), … */
  readonly dest: string;
  status: number;
  /** Body bytes written to the client, as sent (compressed or not). */
  wireBytes: number;
  /**
   * Bytes of a manifest file this response delivered, in the file's own units: the body bytes when
   * uncompressed, the whole file when compressed and complete (compression hides how much of the
   * file a cut-off body held, so those count nothing); 0 for paths not in the manifest.
   */
  fileBytes: number;
  readonly startedAt: number;
  endedAt: number;
  complete: boolean;
}

/** HTML bodies the proxy buffers to inject the tag; larger ones pass untouched. */
const MAX_HTML_BYTES = 8 * 1024 * 1024;
/** Pacing granularity: 16 KiB is about 3 ms at 40 Mbit/s. */
const PIECE_BYTES = 16 * 1024;
/** A link's burst: a few pieces (a real bottleneck queue holds tens of packets). */
const BURST_BYTES = 64 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** Reads the visitor cookie from a request; '' when absent. */
function visitorOf(req: IncomingMessage): string {
  const cookie = req.headers.cookie ?? '';
  const m = new RegExp(`(?:^|;\\s*)${VISITOR_COOKIE}=([A-Za-z0-9_'-]{1,32})`).exec(cookie);
  return m?.[1] ?? '';
}

/** The request's URL path as a browser's URL parser leaves it (the manifest's key form). */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return url ?? '/';
  }
}

/** A running proxy. */
export class ShapingProxy {
  readonly records: ProxyRecord[] = [];
  #server = createServer();
  #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #buckets = new Map<string, TokenBucket>();
  #sockets = new Set<Duplex>();
  #origin = '';

  private constructor(readonly options: ProxyOptions) {}

  /** Starts a proxy on 127.0.0.1 and an OS-chosen port. */
  static async start(options: ProxyOptions): Promise<ShapingProxy> {
    const proxy = new ShapingProxy(options);
    proxy.#server.on('request', (req, res) => void proxy.#onRequest(req, res));
    proxy.#server.on('upgrade', (req, socket, head) => void proxy.#onUpgrade(req, socket, head));
    proxy.#server.on('connection', (socket) => {
      proxy.#sockets.add(socket);
      socket.once('close', () => proxy.#sockets.delete(socket));
    });
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    proxy.#origin = `http://127.0.0.1:${(proxy.#server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: the site's origin as the visitors see it. */
  get origin(): string {
    return this.#origin;
  }

  /** The records of one visitor. */
  recordsOf(visitor: string): ProxyRecord[] {
    return this.records.filter((r) => r.visitor === visitor);
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#agent.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #bucket(visitor: string): TokenBucket | undefined {
    const rate = this.options.bytesPerSecond;
    if (rate === undefined) return undefined;
    let bucket = this.#buckets.get(visitor);
    if (!bucket) this.#buckets.set(visitor, (bucket = new TokenBucket(rate, BURST_BYTES)));
    return bucket;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    if (this.options.bareSw && path === BARE_SW_PATH) {
      res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-cache', 'service-worker-allowed': '/' });
      res.end(BARE_SW_SCRIPT);
      return;
    }
    const dest = String(req.headers['sec-fetch-dest'] ?? '');
    const record: ProxyRecord = { visitor: visitorOf(req), path, dest, status: 0, wireBytes: 0, fileBytes: 0, startedAt: performance.now(), endedAt: 0, complete: false };
    this.records.push(record);
    res.once('close', () => (record.endedAt = performance.now()));
    try {
      const half = this.options.latencyMs / 2;
      const headers = { ...req.headers };
      // HTML travels uncompressed on both origins, so the one that injects the tag pays no extra bytes.
      if (dest === 'document' || dest === 'iframe') delete headers['accept-encoding'];
      if (half > 0) await sleep(half);
      const upstream = httpRequest({ host: '127.0.0.1', port: this.options.upstreamPort, method: req.method, path: req.url, headers, agent: this.#agent });
      req.pipe(upstream);
      const [response] = (await once(upstream, 'response')) as [IncomingMessage];
      res.once('close', () => response.destroy());
      if (half > 0) await sleep(half);
      await this.#respond(record, response, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`bench proxy: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    }
  }

  async #respond(record: ProxyRecord, response: IncomingMessage, res: ServerResponse): Promise<void> {
    record.status = response.statusCode ?? 502;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const encoded = headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity';
    const fileSize = this.options.manifestSizes.get(record.path);
    const html = String(headers['content-type'] ?? '').startsWith('text/html');
    let body: AsyncIterable<Buffer> | Iterable<Buffer> = response;
    if (this.options.tag !== undefined && html && record.status === 200 && !encoded) {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        parts.push(chunk);
        size += chunk.length;
        if (size > MAX_HTML_BYTES) throw new Error(`${record.path}: HTML over ${MAX_HTML_BYTES} bytes`);
      }
      const injected = Buffer.from(injectTag(Buffer.concat(parts).toString('utf8'), this.options.tag));
      headers['content-length'] = String(injected.length);
      body = [injected];
    }
    res.writeHead(record.status, headers);
    const bucket = this.#bucket(record.visitor);
    for await (const chunk of body) {
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        const piece = chunk.subarray(at, at + PIECE_BYTES);
        if (bucket) await bucket.take(piece.length);
        if (res.destroyed) return;
        record.wireBytes += piece.length;
        if (fileSize !== undefined && !encoded) record.fileBytes += piece.length;
        if (!res.write(piece)) await drained(res);
      }
    }
    res.end();
    record.complete = true;
    if (fileSize !== undefined && encoded && record.status === 200) record.fileBytes = fileSize;
  }

  /** WebSocket (or any upgrade): raw bytes both ways, each chunk held for half the latency. */
  async #onUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    this.#sockets.add(client);
    client.once('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    const half = this.options.latencyMs / 2;
    if (half > 0) await sleep(half);
    if (client.destroyed) return;
    const upstream: Socket = connect(this.options.upstreamPort, '127.0.0.1');
    this.#sockets.add(upstream);
    upstream.once('close', () => {
      this.#sockets.delete(upstream);
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
    upstream.on('error', () => upstream.destroy());
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    delayedPipe(upstream, client, half);
    delayedPipe(client, upstream, half);
  }
}

/** Resolves on the response's next 'drain' or its 'close', whichever comes first (and leaves no listener behind). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Pipes `from` into `to`, every chunk (and the end) `delayMs` late, in order. */
function delayedPipe(from: Duplex, to: Duplex, delayMs: number): void {
  if (delayMs <= 0) {
    from.pipe(to);
    return;
  }
  from.on('data', (chunk: Buffer) => void setTimeout(() => to.destroyed || to.write(chunk), delayMs));
  from.once('end', () => void setTimeout(() => to.destroyed || to.end(), delayMs));
}
