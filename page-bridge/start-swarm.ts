/**
 * startSwarm(options): the one call a site makes (main.ts makes it for a plain script tag). It
 * validates the options once, then wires the parts — the peer pool, the tracker client, the
 * BridgeApi over both, and the SW link that lends the bridge to the service worker — and returns
 * the Swarm. A second call returns the same Swarm (after validating its options).
 */
import { createBridgeApi } from './bridge-api.js';
import { createChunkReader } from './chunk-reader.js';
import { PageCounters } from './counters.js';
import { resolveSwarmOptions, type SwarmConfig, type SwarmOptions } from './options.js';
import { PeerPool } from './peer-pool.js';
import { schedulePrefetch } from './prefetch-trigger.js';
import { SwLink } from './sw-link.js';
import type { PageStats, Swarm } from './swarm.js';
import { TrackerClient } from './tracker-client.js';

let current: Swarm | undefined;

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
  const counters = new PageCounters();
  const pool = new PeerPool(config, counters, createChunkReader());
  // The tracker rides the peer's signalling socket: one WebSocket, and an id the server issued.
  const tracker = new TrackerClient(config, {
    channel: { send: (message) => pool.sendToServer(message) },
    site: location.origin,
    // Called only once the socket is up, long after `link` below exists.
    onManifest: (version) => link.manifestChanged(version),
    onAvailability: (full, files) => link.availability(full, files),
  });
  const bridge = createBridgeApi(pool, tracker);
  const link = new SwLink(config, bridge.api);

  pool.onOpen(() => tracker.connected());
  pool.onServerMessage((message) => tracker.receive(message));
  pool.onServerDown(() => tracker.disconnected());
  pool.start();
  link.start();

  const peerReady = Promise.all([pool.opened, tracker.joined]).then(() => undefined);
  const ready = Promise.all([link.linked, peerReady]).then(() => undefined);
  let stopped = false;
  const cancelPrefetch = config.prefetchBytes > 0 ? schedulePrefetch(ready, (pages) => link.prefetch(pages)) : () => undefined;

  const swarm: Swarm = {
    ready,
    peerReady,
    get peerId() {
      return pool.peerId;
    },
    config,
    bridge: bridge.api,
    async stats(): Promise<PageStats> {
      return {
        sw: await link.stats(),
        peerId: pool.peerId,
        connections: pool.connections,
        uploadBytes: counters.uploadBytes,
        servedChunks: counters.servedChunks,
        droppedPeers: counters.droppedPeers,
      };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      cancelPrefetch();
      bridge.dispose();
      link.stop();
      tracker.close();
      pool.close();
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
