/**
 * One visitor: a browser context of its own (its own service worker, IndexedDB and HTTP cache)
 * with the site open, and what a test does in its page. The page contract the bridge implements:
 * `window.swarmcdn.swarm` is the Swarm `startSwarm` returned, with `ready`, `peerId`, `stats()`
 * and `stop()`. Every call into the page is bounded.
 */
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import type { SwStats } from '../../../protocol/messages/sw-page.js';
import { waitFor, withTimeout } from './wait.js';

/** What `swarm.stats()` answers. */
export interface SwarmStatsView {
  readonly sw: SwStats | undefined;
  readonly role: 'leader' | 'follower';
  readonly upload: { readonly on: boolean; readonly reason?: string };
  readonly peerId: string;
  readonly connections: number;
  readonly uploadBytes: number;
  readonly servedChunks: number;
  readonly droppedPeers: number;
  readonly bytesByPeer: Readonly<Record<string, number>>;
}

/** What the page sees of one fetch. */
export interface FetchResult {
  readonly status: number;
  readonly size: number;
  /** Lowercase hex SHA-256 of the body, computed in the page. */
  readonly sha256: string;
  readonly contentRange: string | null;
}

/** The fetch options a test may pass (plain data: it crosses into the page). */
export interface FetchOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly credentials?: 'include' | 'same-origin' | 'omit';
}

/** The page globals the fixture site and the bridge define. */
interface PageWindow {
  swarmcdn?: { swarm?: PageSwarm };
  swarmcdnE2e?: { startError?: string };
}

interface PageSwarm {
  readonly ready: Promise<void>;
  readonly peerId: string;
  stats(): Promise<SwarmStatsView>;
  stop(): unknown;
}

/** Console lines kept per visitor, for the failure report. */
const MAX_LOG_LINES = 300;

/** A visitor and its page. */
export class Visitor {
  readonly log: string[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    // The context's console event carries its pages' and its service worker's messages.
    context.on('console', (message: ConsoleMessage) => {
      const where = message.page() ? 'page' : 'sw';
      this.record(`${where} ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.record(`page uncaught: ${error.message}`));
    page.on('crash', () => this.record('page crashed'));
  }

  private record(line: string): void {
    this.log.push(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
    if (this.log.length > MAX_LOG_LINES) this.log.splice(0, this.log.length - MAX_LOG_LINES);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens the site with start options in the hash (the fixture page passes them to startSwarm). */
  async open(baseUrl: string, options: Readonly<Record<string, unknown>> = {}, timeoutMs = 15_000): Promise<void> {
    const hash = Object.keys(options).length === 0 ? '' : `#${encodeURIComponent(JSON.stringify(options))}`;
    await this.page.goto(`${baseUrl}/${hash}`, { timeout: timeoutMs, waitUntil: 'load' });
  }

  /** Waits until `swarm.ready` resolves: the SW controls the page and took the bridge, the peer is open, the tracker joined. */
  async ready(timeoutMs = 20_000): Promise<void> {
    const started = Date.now();
    const state = await waitFor(
      () =>
        this.page.evaluate(() => {
          const w = window as unknown as PageWindow;
          return { swarm: Boolean(w.swarmcdn?.swarm), startError: w.swarmcdnE2e?.startError ?? null };
        }),
      (s) => s.swarm || s.startError !== null,
      { timeoutMs, what: `${this.name}: window.swarmcdn.swarm to exist` },
    );
    if (state.startError !== null) throw new Error(`${this.name}: startSwarm threw: ${state.startError}`);
    const left = Math.max(1_000, timeoutMs - (Date.now() - started));
    await withTimeout(
      this.page.evaluate(() => (window as unknown as PageWindow).swarmcdn!.swarm!.ready.then(() => true)),
      left,
      `${this.name}: swarm.ready`,
    );
  }

  /** Reloads the page (the same URL, hash options included) and waits for the new page's `swarm.ready`. */
  async reload(timeoutMs = 15_000): Promise<void> {
    await this.page.reload({ timeout: timeoutMs, waitUntil: 'load' });
    await this.ready();
  }

  /** The swarm's peer id. */
  peerId(): Promise<string> {
    return withTimeout(this.page.evaluate(() => (window as unknown as PageWindow).swarmcdn!.swarm!.peerId), 5_000, `${this.name}: peerId`);
  }

  /**
   * The swarm's peer id once this page has one: a page's core (and its peer) starts after the
   * page's load, so right after a navigation `peerId()` may still read undefined.
   */
  joinedPeerId(timeoutMs = 15_000): Promise<string> {
    return waitFor(() => this.peerId(), (id) => typeof id === 'string' && id.length > 0, { timeoutMs, intervalMs: 100, what: `${this.name}: a peer id` });
  }

  /** `swarm.stats()`. */
  stats(timeoutMs = 5_000): Promise<SwarmStatsView> {
    return withTimeout(this.page.evaluate(() => (window as unknown as PageWindow).swarmcdn!.swarm!.stats()), timeoutMs, `${this.name}: swarm.stats()`);
  }

  /** The SW's stats (failing when the bridge has none yet). */
  async sw(): Promise<SwStats> {
    const stats = await this.stats();
    if (!stats.sw) throw new Error(`${this.name}: stats().sw is undefined`);
    return stats.sw;
  }

  /** Polls the stats until `done` holds. */
  waitForStats(done: (s: SwarmStatsView) => boolean, what: string, timeoutMs = 15_000): Promise<SwarmStatsView> {
    return waitFor(() => this.stats(), done, { timeoutMs, intervalMs: 100, what: `${this.name}: ${what}` });
  }

  /** Starts `fetch(path, options)` in the page; resolves with the status, size and digest of the body. */
  startFetch(path: string, options: FetchOptions = {}): Promise<FetchResult> {
    return this.page.evaluate(
      async ({ path, options }) => {
        const response = await fetch(path, options as RequestInit);
        const body = await response.arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
        const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        return { status: response.status, size: body.byteLength, sha256, contentRange: response.headers.get('content-range') };
      },
      { path, options },
    );
  }

  /** `fetch` in the page, bounded. */
  fetch(path: string, options: FetchOptions = {}, timeoutMs = 30_000): Promise<FetchResult> {
    return withTimeout(this.startFetch(path, options), timeoutMs, `${this.name}: fetch ${path} ${JSON.stringify(options)}`);
  }

  /** Posts a message to the SW that controls the page. */
  async postToSw(message: Readonly<Record<string, unknown>>): Promise<void> {
    const posted = await withTimeout(
      this.page.evaluate((m) => {
        const controller = navigator.serviceWorker.controller;
        if (!controller) return false;
        controller.postMessage(m);
        return true;
      }, message),
      5_000,
      `${this.name}: post ${String(message.type)} to the SW`,
    );
    if (!posted) throw new Error(`${this.name}: the page has no controlling service worker`);
  }

  /** Waits for a controlling SW, then asks it which key ids it trusts (`swarmcdn/keyids`). */
  async swKeyids(timeoutMs = 10_000): Promise<{ scope: string; scriptURL: string; keyids: string[] }> {
    return withTimeout(
      this.page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
          await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
        }
        const controller = navigator.serviceWorker.controller!;
        const keyids = await new Promise<string[]>((resolve) => {
          navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
            const data = event.data as { type?: unknown; keyids?: unknown } | null;
            if (data?.type === 'swarmcdn/keyids' && Array.isArray(data.keyids)) resolve(data.keyids as string[]);
          });
          navigator.serviceWorker.startMessages();
          controller.postMessage({ type: 'swarmcdn/keyids' });
        });
        return { scope: registration.scope, scriptURL: controller.scriptURL, keyids };
      }),
      timeoutMs,
      `${this.name}: a controlling SW that answers swarmcdn/keyids`,
    );
  }

  /**
   * Overwrites one cached chunk in the shared IndexedDB layout (db, store, key = chunk SRI) with
   * bytes of the same length that do not hash to it. Resolves to what was found under the key.
   */
  tamperChunk(db: string, store: string, key: string): Promise<{ found: boolean; size: number; kind: string }> {
    return withTimeout(
      this.page.evaluate(
        async ({ db, store, key }) => {
          if (!(await indexedDB.databases()).some((d) => d.name === db)) return { found: false, size: 0, kind: 'no database' };
          const open = indexedDB.open(db);
          const database = await new Promise<IDBDatabase>((resolve, reject) => {
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          const request = <T>(r: IDBRequest<T>): Promise<T> =>
            new Promise((resolve, reject) => {
              r.onsuccess = () => resolve(r.result);
              r.onerror = () => reject(r.error);
            });
          try {
            const value: unknown = await request(database.transaction(store, 'readonly').objectStore(store).get(key));
            if (value === undefined) return { found: false, size: 0, kind: 'no such key' };
            const bytes =
              value instanceof ArrayBuffer ? new Uint8Array(value.slice(0)) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)) : undefined;
            if (!bytes) return { found: false, size: 0, kind: Object.prototype.toString.call(value) };
            for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xa5;
            const replacement = value instanceof ArrayBuffer ? bytes.buffer : bytes;
            const tx = database.transaction(store, 'readwrite');
            tx.objectStore(store).put(replacement, key);
            await new Promise<void>((resolve, reject) => {
              tx.oncomplete = () => resolve();
              tx.onerror = () => reject(tx.error);
            });
            return { found: true, size: bytes.length, kind: Object.prototype.toString.call(value) };
          } finally {
            database.close();
          }
        },
        { db, store, key },
      ),
      10_000,
      `${this.name}: tamper with chunk ${key}`,
    );
  }

  /**
   * Stops the visitor's service worker as the browser does to an idle one (DevTools protocol):
   * the next message or fetch starts it afresh, with only what it persisted.
   */
  async stopServiceWorker(): Promise<void> {
    const cdp = await withTimeout(this.context.newCDPSession(this.page), 5_000, `${this.name}: a DevTools session`);
    try {
      await withTimeout(cdp.send('ServiceWorker.enable'), 5_000, `${this.name}: ServiceWorker.enable`);
      await withTimeout(cdp.send('ServiceWorker.stopAllWorkers'), 5_000, `${this.name}: ServiceWorker.stopAllWorkers`);
    } finally {
      await cdp.detach().catch(() => undefined);
    }
  }

  /** Closes the visitor's whole context (its page, SW and peer connections go with it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await withTimeout(this.context.close(), 10_000, `${this.name}: close the context`).catch(() => undefined);
  }
}
