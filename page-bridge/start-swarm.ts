/**
 * startSwarm(options): the one call a site makes (main.ts makes it for a plain script tag). It
 * validates the options once, registers the SW and lends it the bridge (sw-link.ts) at once, and
 * loads the bridge core (PeerJS, the tracker client, the BridgeApi: bridge-core.ts) only when it
 * can help: at once when the SW asks for peers (a chunk, or a warm-up for the files of this page
 * that peers hold), else after the page's load event, so a page no peer can serve pays nothing for
 * the swarm while it loads. A second call returns the same Swarm (after validating its options).
 */
import type { BridgeApi } from '../protocol/messages/sw-page.js';
import type { BridgeCore, CoreModule, UploadGate } from './bridge-core.js';
import { lazyBridgeApi } from './lazy-bridge-api.js';
import { resolveSwarmOptions, type SwarmConfig, type SwarmOptions } from './options.js';
import { schedulePrefetch } from './prefetch-trigger.js';
import { SwLink } from './sw-link.js';
import { TabLeadership } from './tab-leadership.js';
import { UploadPolicy } from './upload-policy.js';
import type { PageStats, Swarm } from './swarm.js';

/** Loads the core module: by URL for the bridge.js script (main.ts), by import() in a site's bundle (index.ts). */
export type CoreLoader = (config: SwarmConfig) => Promise<CoreModule>;

let current: Swarm | undefined;
let loadCore: CoreLoader | undefined;

/** Sets how startSwarm loads the core (once, by the entry that bundles startSwarm). */
export function setCoreLoader(loader: CoreLoader): void {
  loadCore = loader;
}

/** The Swarm startSwarm made, if any. */
export function currentSwarm(): Swarm | undefined {
  return current;
}

/** Starts the swarm bridge in this page (once); throws SwarmError CONFIG_INVALID for bad options. */
export function startSwarm(options?: SwarmOptions): Swarm {
  const config = resolveSwarmOptions(options, location.origin);
  current ??= createSwarm(config);
  return current;
}

function createSwarm(config: SwarmConfig): Swarm {
  let stopped = false;
  let core: BridgeCore | undefined;
  const loader = loadCore;
  // One bridge per visitor: only the tab that leads loads the core and lends it to the SW.
  const tabs = new TabLeadership(`swarmcdn-bridge ${config.server}`);
  // Every tab follows the policy (any tab may change the visitor's choice); the leader's core enforces it.
  const uploads = new UploadPolicy(config.upload);
  const gate: UploadGate = {
    get on() {
      return uploads.state.on;
    },
    onChange: (listener) => uploads.onChange((state) => listener(state.on)),
  };
  let startNow: () => void = () => undefined;
  const wanted = new Promise<void>((resolve) => (startNow = resolve));
  afterLoad(startNow);
  // Never rejects: without a core the page stays on the origin, and says why once.
  const coreReady: Promise<BridgeCore | undefined> = tabs.elected
    .then(() => wanted)
    .then(() => (loader ? loader(config) : Promise.reject(new Error('no core loader set'))))
    .then((module) => {
      if (stopped) return undefined;
      const started = module.startCore(config, {
        onManifest: (version) => link.manifestChanged(version),
        onAvailability: (full, files) => link.availability(full, files),
      }, gate);
      core = started;
      link.coreUp();
      tabs.serveCounters(() => ({ ...started.stats(), upload: uploads.state }));
      void started.peerReady.then(() => started.peerId !== undefined && tabs.peerOpened(started.peerId));
      return started;
    })
    .catch((error: unknown) => {
      console.warn('swarmcdn: the bridge core did not load; the site keeps loading from the origin', error);
      return undefined;
    });
  const bridge: BridgeApi = lazyBridgeApi(async (urgent) => {
    if (urgent) startNow();
    return stopped ? undefined : (await coreReady)?.api;
  });
  const link = new SwLink(config, bridge);
  link.start();
  tabs.start();
  void tabs.elected.then(() => !stopped && link.lend());

  // The leader is ready once the SW took its bridge and its peer is up; a follower once a SW controls
  // it and the leader's peer is up (the leader's bridge serves its SW).
  const never = new Promise<never>(() => undefined);
  const peerReady = tabs.leaderUp.then(() => undefined);
  const ready = Promise.race([
    tabs.elected.then(() => Promise.all([link.linked, peerReady])),
    Promise.all([link.controlled, peerReady]).then(() => (tabs.role === 'follower' ? undefined : never)),
  ]).then(() => undefined);
  // A follower's page warms the leader's bridge (through the SW) as a leader's hand-over does for its own.
  void Promise.all([link.controlled, peerReady]).then(() => !stopped && tabs.role === 'follower' && link.warm());
  const cancelPrefetch = config.prefetchBytes > 0 ? schedulePrefetch(ready, (pages) => link.prefetch(pages)) : () => undefined;

  const swarm: Swarm = {
    ready,
    peerReady,
    get peerId() {
      return tabs.role === 'leader' ? core?.peerId : tabs.leaderPeerId;
    },
    get role() {
      return tabs.role;
    },
    config,
    bridge,
    setUpload(allow: boolean): void {
      uploads.setUser(allow);
    },
    async stats(): Promise<PageStats> {
      const [sw, own] = await Promise.all([link.stats(), tabs.role === 'leader' ? core && { ...core.stats(), upload: uploads.state } : tabs.counters()]);
      return {
        sw,
        role: tabs.role,
        upload: own?.upload ?? uploads.state,
        peerId: own?.peerId,
        connections: own?.connections ?? 0,
        uploadBytes: own?.uploadBytes ?? 0,
        servedChunks: own?.servedChunks ?? 0,
        droppedPeers: own?.droppedPeers ?? 0,
        bytesByPeer: own?.bytesByPeer ?? {},
      };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      cancelPrefetch();
      link.stop();
      core?.stop();
      core = undefined;
      uploads.close();
      // The lock goes last: the next tab leads once this one's connections are closed.
      tabs.close();
      if (current === swarm) current = undefined;
    },
  };
  // A page going away closes its connections itself: an RTCPeerConnection torn down with the page
  // sends no close, and the peers it was serving would wait for ICE to time out (~7 s here) instead
  // of failing over at once. Not for bfcache (persisted): that page may come back.
  if (typeof window !== 'undefined') {
    window.addEventListener('pagehide', (event: PageTransitionEvent) => {
      if (!event.persisted) void swarm.stop();
    });
  }
  return swarm;
}

/** Calls `run` once the page's load event has passed (at once outside a page, or when it already has). */
function afterLoad(run: () => void): void {
  if (typeof window === 'undefined' || typeof document === 'undefined' || document.readyState === 'complete') run();
  else window.addEventListener('load', () => run(), { once: true });
}
