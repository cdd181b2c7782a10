/**
 * The SW link against a scripted ServiceWorkerContainer: registration, a bridge offered whenever
 * there is a controller (start, controllerchange, hello) with the settings and a transferred port
 * that really carries the BridgeApi, `linked` only after bridge-ok, stats with a bounded wait, and
 * a browser without service workers left alone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import * as Comlink from 'comlink';
import { SW_STATS_TIMEOUT_MS, SwLink } from '../../../page-bridge/sw-link.js';
import type { BridgeApi, SwStats } from '../../../protocol/messages/sw-page.js';

const CONFIG = { server: 'https://site.example', cacheBytes: 1_000_000, stallMs: 1_500, prefetchBytes: 2_000_000, minPeerBytes: 1_000, hedgeMs: 0, rateHedge: true };

class FakeController {
  readonly posted: { message: Record<string, unknown>; transfer: unknown[] }[] = [];
  postMessage(message: Record<string, unknown>, transfer: unknown[] = []): void {
    this.posted.push({ message, transfer });
  }
  of(type: string): { message: Record<string, unknown>; transfer: unknown[] }[] {
    return this.posted.filter((p) => p.message.type === type);
  }
}

class FakeContainer extends EventTarget {
  controller: FakeController | null = null;
  readonly registered: [string, unknown][] = [];
  started = 0;
  startMessages(): void {
    this.started += 1;
  }
  async register(url: string, options: unknown): Promise<void> {
    this.registered.push([url, options]);
  }
  /** The SW posts to the page. */
  say(data: unknown): void {
    const event = new Event('message') as Event & { data: unknown };
    Object.defineProperty(event, 'data', { value: data });
    this.dispatchEvent(event);
  }
}

const api: BridgeApi = {
  getChunk: async (r) => ({ ok: false, code: r.size > 0 ? 'PEER_NONE' : 'REQUEST_INVALID' }),
  cancelChunk: async () => undefined,
  reportPeer: async () => undefined,
  announce: async () => undefined,
  withdraw: async () => undefined,
  reportStats: async () => undefined,
  warm: async () => undefined,
};

const originalNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
const links: SwLink[] = [];

function withContainer(container: FakeContainer | undefined): SwLink {
  Object.defineProperty(globalThis, 'navigator', { value: container ? { serviceWorker: container } : {}, configurable: true });
  const link = new SwLink(CONFIG, api);
  links.push(link);
  return link;
}

afterEach(() => {
  for (const link of links.splice(0)) link.stop();
  if (originalNavigator) Object.defineProperty(globalThis, 'navigator', originalNavigator);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 10));
  return done;
}

describe('SwLink', () => {
  it('registers /swarmcdn/sw.js for scope / and starts messages; without a controller it offers nothing', () => {
    const container = new FakeContainer();
    withContainer(container).start();
    expect(container.registered).toEqual([['https://site.example/swarmcdn/sw.js', { scope: '/' }]]);
    expect(container.started).toBe(1);
  });

  it('offers the bridge to a controller present at start once the tab leads: settings, and a transferred port carrying the BridgeApi', async () => {
    const container = new FakeContainer();
    container.controller = new FakeController();
    const link = withContainer(container);
    link.start();
    // A follower tab registers and listens, but lends nothing: the leader's bridge serves the SW.
    expect(container.controller.of('swarmcdn/bridge').length).toBe(0);
    expect(await settled(link.controlled)).toBe(true);
    link.lend();
    const [offer] = container.controller.of('swarmcdn/bridge');
    expect(offer?.message.settings).toEqual({ cacheBytes: 1_000_000, stallMs: 1_500, prefetchBytes: 2_000_000, minPeerBytes: 1_000, hedgeMs: 0, rateHedge: true });
    const port = offer?.message.port as MessagePort;
    expect(offer?.transfer).toEqual([port]);
    const remote = Comlink.wrap<BridgeApi>(port);
    expect(await remote.getChunk({ id: 1, file: 'sha256-x', chunk: 'sha256-y', size: 3 })).toEqual({ ok: false, code: 'PEER_NONE' });
    remote[Comlink.releaseProxy]();
    port.close();
  });

  it('offers again on controllerchange and on hello; `linked` waits for bridge-ok from a controller', async () => {
    const container = new FakeContainer();
    const link = withContainer(container);
    link.start();
    link.lend();
    expect(await settled(link.controlled)).toBe(false);
    const controller = new FakeController();
    container.controller = controller;
    container.dispatchEvent(new Event('controllerchange'));
    expect(await settled(link.controlled)).toBe(true);
    expect(controller.of('swarmcdn/bridge').length).toBe(1);
    container.say({ type: 'swarmcdn/hello' });
    expect(controller.of('swarmcdn/bridge').length).toBe(2);
    expect(await settled(link.linked)).toBe(false);
    container.say({ type: 'swarmcdn/bridge-ok' });
    expect(await settled(link.linked)).toBe(false);
    container.say({ type: 'swarmcdn/bridge-ok', manifestVersion: 4 });
    expect(await settled(link.linked)).toBe(true);
  });

  it('bridge-ok without a controller does not count', async () => {
    const container = new FakeContainer();
    const link = withContainer(container);
    link.start();
    container.say({ type: 'swarmcdn/bridge-ok', manifestVersion: 1 });
    expect(await settled(link.linked)).toBe(false);
  });

  it('stats: asks the controller and takes its answer; undefined without a controller or an answer in time', async () => {
    const container = new FakeContainer();
    const link = withContainer(container);
    link.start();
    expect(await link.stats()).toBeUndefined();
    container.controller = new FakeController();
    const stats = { bytes: { peer: 1, cache: 0, origin: 0, upload: 0 } } as unknown as SwStats;
    const asked = link.stats();
    expect(container.controller.of('swarmcdn/stats').length).toBe(1);
    container.say({ type: 'swarmcdn/stats', stats });
    expect(await asked).toEqual(stats);
    const started = Date.now();
    expect(await link.stats()).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(SW_STATS_TIMEOUT_MS - 50);
  });

  it('forwards a manifest push to the controller', () => {
    const container = new FakeContainer();
    container.controller = new FakeController();
    const link = withContainer(container);
    link.start();
    link.manifestChanged(9);
    expect(container.controller.of('swarmcdn/manifest-changed').map((p) => p.message)).toEqual([{ type: 'swarmcdn/manifest-changed', version: 9 }]);
  });

  it('a browser without service workers: nothing thrown, linked stays pending, stats undefined', async () => {
    const link = withContainer(undefined);
    expect(() => link.start()).not.toThrow();
    expect(await settled(link.linked)).toBe(false);
    expect(await link.stats()).toBeUndefined();
  });
});
