/**
 * The page's link to its service worker: registers /swarmcdn/sw.js (or the site's own SW that adds
 * the swarm path, `serviceWorker`) for the whole site and lends
 * the SW the bridge. Whenever a SW controls the page (at start, on 'controllerchange', and when the
 * SW says 'swarmcdn/hello' because it restarted or lost us), a fresh MessageChannel carries the
 * BridgeApi (Comlink, page side exposes, SW side wraps) and the settings the SW enforces; the link
 * counts once the SW answers 'swarmcdn/bridge-ok'. Only a tab that leads lends its bridge (`lend()`,
 * tab-leadership.ts); every tab registers. A browser without service workers, or a failed
 * registration, just leaves the page on the origin: nothing here throws at the page.
 */
import * as Comlink from 'comlink';
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { parseSwToPageMessage, type BridgeApi, type PageToSwMessage, type SwStats } from '../protocol/messages/sw-page.js';
import { ROUTES, serverUrl } from '../protocol/wire.js';
import type { SwarmConfig } from './options.js';
import { deferred } from './wait.js';

/** The slice of the options the SW link uses. */
export type SwLinkConfig = Pick<SwarmConfig, 'server' | 'cacheBytes' | 'stallMs' | 'prefetchBytes' | 'minPeerBytes' | 'hedgeMs' | 'rateHedge'> &
  Partial<Pick<SwarmConfig, 'serviceWorker'>>;

/** An unanswered bridge offer is made again after this long (the SW answers once its first manifest load is done)… */
const OFFER_RETRY_MS = 5_000;
/** …at most this many times in a row; a later 'swarmcdn/hello' or controller change starts again. */
const MAX_OFFERS = 4;
/** A stats request the SW leaves unanswered reads as "no SW stats". */
export const SW_STATS_TIMEOUT_MS = 1_000;

/** The SW registration and the bridge hand-off. */
export class SwLink {
  readonly #config: SwLinkConfig;
  readonly #api: BridgeApi;
  readonly #linked = deferred<void>();
  readonly #controlled = deferred<void>();
  readonly #statsWaiters = new Set<(stats: SwStats | undefined) => void>();
  #container: ServiceWorkerContainer | undefined;
  #port: MessagePort | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #offers = 0;
  #acknowledged = false;
  #lending = false;
  #coreUp = false;

  constructor(config: SwLinkConfig, api: BridgeApi) {
    this.#config = config;
    this.#api = api;
  }

  /** Resolves when a SW controls the page and took the bridge (never rejects; pending forever without SW support). */
  get linked(): Promise<void> {
    return this.#linked.promise;
  }

  /** Resolves when a SW controls the page (never rejects; pending forever without SW support). */
  get controlled(): Promise<void> {
    return this.#controlled.promise;
  }

  /** From now on, offers the bridge to every controller (this tab leads). */
  lend(): void {
    if (this.#lending) return;
    this.#lending = true;
    this.#offer(true);
  }

  /** Registers the SW and listens to it; the bridge is offered once `lend()` is called. */
  start(): void {
    if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || !navigator.serviceWorker) return;
    const container = navigator.serviceWorker;
    this.#container = container;
    container.addEventListener('message', this.#onMessage);
    container.addEventListener('controllerchange', this.#onControllerChange);
    // Without it, messages from the SW wait until DOMContentLoaded (docs/browser-notes.md).
    container.startMessages();
    // false: the site registers its own SW (which adds the swarm path); the bridge only waits for it to control the page.
    // By default under the server's base, so the SW finds its manifest and availability there (serverBaseOfScript).
    const script = this.#config.serviceWorker ?? serverUrl(this.#config.server, ROUTES.sw);
    if (script !== false) {
      container.register(script, { scope: '/' }).catch((error: unknown) => {
        console.warn('swarmcdn: service worker registration failed; the site keeps loading from the origin', error);
      });
    }
    if (container.controller) this.#controlled.resolve();
  }

  /** The SW's counters, or undefined without a controller or an answer within SW_STATS_TIMEOUT_MS. */
  stats(): Promise<SwStats | undefined> {
    const controller = this.#container?.controller;
    if (!controller) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (stats: SwStats | undefined): void => {
        clearTimeout(timer);
        this.#statsWaiters.delete(done);
        resolve(stats);
      };
      const timer = setTimeout(() => done(undefined), SW_STATS_TIMEOUT_MS);
      this.#statsWaiters.add(done);
      this.#post(controller, { type: 'swarmcdn/stats' });
    });
  }

  /** Tells the SW the tracker announced a new manifest version. */
  manifestChanged(version: number): void {
    const controller = this.#container?.controller;
    if (controller) this.#post(controller, { type: 'swarmcdn/manifest-changed', version });
  }

  /** Hands the tracker's holder counts to the SW (its availability view). */
  availability(full: boolean, files: Readonly<Record<Sha256Sri, number>>): void {
    const controller = this.#container?.controller;
    if (controller) this.#post(controller, { type: 'swarmcdn/availability', full, files });
  }

  /** Tells the SW this page's core started, so it announces its cache through it (again after every new hand-over). */
  coreUp(): void {
    this.#coreUp = true;
    const controller = this.#container?.controller;
    if (controller && this.#lending) this.#post(controller, { type: 'swarmcdn/core-up' });
  }

  /** Asks the SW to warm the visitor's bridge (another tab's) for this page's files: this tab follows. */
  warm(): void {
    const controller = this.#container?.controller;
    if (controller) this.#post(controller, { type: 'swarmcdn/warm' });
  }

  /** Asks the SW to prefetch from peers what these pages need (the page is idle). */
  prefetch(pages: readonly string[]): void {
    const controller = this.#container?.controller;
    if (controller) this.#post(controller, { type: 'swarmcdn/prefetch', pages });
  }

  /** Stops offering the bridge and closes the current port. */
  stop(): void {
    clearTimeout(this.#retry);
    this.#container?.removeEventListener('message', this.#onMessage);
    this.#container?.removeEventListener('controllerchange', this.#onControllerChange);
    this.#container = undefined;
    this.#port?.close();
    this.#port = undefined;
    for (const done of [...this.#statsWaiters]) done(undefined);
  }

  readonly #onControllerChange = (): void => {
    if (this.#container?.controller) this.#controlled.resolve();
    this.#offer(true);
  };

  readonly #onMessage = (event: MessageEvent): void => this.#handle(event.data);

  #handle(data: unknown): void {
    const message = parseSwToPageMessage(data);
    if (!message) return;
    switch (message.type) {
      case 'swarmcdn/hello':
        return this.#offer(true);
      case 'swarmcdn/bridge-ok':
        if (!this.#container?.controller) return;
        this.#acknowledged = true;
        clearTimeout(this.#retry);
        return this.#linked.resolve();
      case 'swarmcdn/stats':
        for (const done of [...this.#statsWaiters]) done(message.stats);
        return;
      case 'swarmcdn/keyids':
        return;
    }
  }

  /** Hands a fresh bridge port to the current controller; `fresh` restarts the retry count. */
  #offer(fresh: boolean): void {
    const controller = this.#container?.controller;
    if (!controller || !this.#lending) return;
    if (fresh) this.#offers = 0;
    this.#offers += 1;
    this.#acknowledged = false;
    const { port1, port2 } = new MessageChannel();
    // The SW keeps only the newest port; the old one would leak its listeners.
    this.#port?.close();
    this.#port = port1;
    // The SW may answer on the port as well as to the page: either counts (Comlink ignores types it does not know).
    port1.addEventListener('message', (event: MessageEvent) => this.#handle(event.data));
    Comlink.expose(this.#api, port1);
    const { cacheBytes, stallMs, prefetchBytes, minPeerBytes, hedgeMs, rateHedge } = this.#config;
    const settings = { cacheBytes, stallMs, prefetchBytes, minPeerBytes, hedgeMs, rateHedge };
    this.#post(controller, { type: 'swarmcdn/bridge', port: port2, settings }, [port2]);
    // A SW that (re)took the bridge after the core started hears it at once.
    if (this.#coreUp) this.#post(controller, { type: 'swarmcdn/core-up' });
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (!this.#acknowledged && this.#offers < MAX_OFFERS) this.#offer(false);
    }, OFFER_RETRY_MS);
  }

  #post(controller: ServiceWorker, message: PageToSwMessage, transfer: Transferable[] = []): void {
    try {
      controller.postMessage(message, transfer);
    } catch (error) {
      // A controller being replaced can refuse messages; the next controllerchange offers again.
      console.warn('swarmcdn: could not reach the service worker', error);
    }
  }
}
