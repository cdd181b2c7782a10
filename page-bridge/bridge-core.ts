/**
 * The bridge's core: the PeerJS peer and its connections, the tracker client and the BridgeApi
 * over both. It is the heavy part of the bridge (PeerJS with webrtc-adapter, sdp and binarypack,
 * ~100 KB minified), so the render-blocking bridge.js does not carry it: startSwarm loads it with a
 * dynamic import() that the page's parser never waits for (start-swarm.ts), and the SW's calls wait
 * for it instead. It also relays signed manifest versions between peers and its SW
 * (envelope-relay.ts, envelope-link.ts).
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import type { BridgeApi } from '../protocol/messages/sw-page.js';
import type { LeaderCounters } from '../protocol/messages/tabs.js';
import { createBridgeApi } from './bridge-api.js';
import { createChunkReader } from './chunk-reader.js';
import { PageCounters } from './counters.js';
import { EnvelopeLink } from './envelope-link.js';
import { EnvelopeRelay } from './envelope-relay.js';
import type { SwarmConfig } from './options.js';
import { PeerPool } from './peer-pool.js';
import { TrackerClient } from './tracker-client.js';

/** What the core tells the rest of the bridge (the SW link). */
export interface CoreHooks {
  /** The tracker announced manifest version `version`. */
  onManifest(version: number): void;
  /** The tracker's holder counts (`full`: the whole view, else a change). */
  onAvailability(full: boolean, files: Readonly<Record<Sha256Sri, number>>): void;
}

/** Whether this visitor uploads now (upload-policy.ts; the stub owns the policy, the core enforces it). */
export interface UploadGate {
  readonly on: boolean;
  /** Calls `listener` with each change; returns an unsubscribe. */
  onChange(listener: (on: boolean) => void): () => void;
}

/** Uploads always on (a core started without a gate: tests, older callers). */
const ALWAYS_UPLOAD: UploadGate = { on: true, onChange: () => () => undefined };

/** The page's own counters and connections, for swarm.stats(): the leader's counters but the upload policy (the stub's). */
export type CoreStats = Omit<LeaderCounters, 'upload'>;

/** A running core. */
export interface BridgeCore {
  /** The BridgeApi the SW calls (through the link's Comlink port). */
  readonly api: BridgeApi;
  /** Resolves when the peer is open and the tracker joined. Never rejects. */
  readonly peerReady: Promise<void>;
  /** This page's PeerJS id, once the peer opened. */
  readonly peerId: string | undefined;
  /** The page's counters now. */
  stats(): CoreStats;
  /** Closes every connection, the tracker client and the peer (and with it the socket). */
  stop(): void;
}

/** What the core module exports: the bridge loads it by URL, a site's bundler by import(). */
export interface CoreModule {
  readonly startCore: typeof startCore;
}

/** Starts the peer, the tracker client and the BridgeApi for `config`. */
export function startCore(config: SwarmConfig, hooks: CoreHooks, uploads: UploadGate = ALWAYS_UPLOAD): BridgeCore {
  const counters = new PageCounters();
  // The sessions read `upload` at each request: the site's option and the live policy together.
  const poolConfig: SwarmConfig = Object.create(config, { upload: { get: () => config.upload && uploads.on, enumerable: true } }) as SwarmConfig;
  // Peers pass the newest signed manifest on; the SW verifies what they relay, and a bad one drops its peer.
  const envelopes = new EnvelopeLink({
    envelope: (version, bytes) => relay.setEnvelope(version, bytes),
    refused: (peerId, code) => {
      pool.drop(peerId, code);
      tracker.forgetPeer(peerId);
    },
  });
  const relay = new EnvelopeRelay({ toSw: (peerId, bytes) => envelopes.offer(peerId, bytes) });
  // Every session speaks the relay; the keeper's last resort asks the tracker client (both called only later).
  const pool: PeerPool = new PeerPool(poolConfig, counters, createChunkReader(), {
    rescue: () => tracker.rescueHolders(),
    extensions: [(io) => relay.attach(io)],
  });
  // The tracker rides the peer's signalling socket: one WebSocket, and an id the server issued.
  const tracker: TrackerClient = new TrackerClient(config, {
    channel: { send: (message) => pool.sendToServer(message) },
    site: location.origin,
    onManifest: (version) => hooks.onManifest(version),
    onAvailability: (full, files) => hooks.onAvailability(full, files),
  });
  const bridge = createBridgeApi(pool, tracker, counters);
  // A visitor that does not upload is not listed as a holder: askers would only wait on `absent`.
  tracker.setSeeding(uploads.on);
  const unsubscribe = uploads.onChange((on) => tracker.setSeeding(on));
  envelopes.start();

  pool.onOpen(() => tracker.connected());
  pool.onServerMessage((message) => tracker.receive(message));
  pool.onServerDown(() => tracker.disconnected());
  pool.start();

  return {
    api: bridge.api,
    peerReady: Promise.all([pool.opened, tracker.joined]).then(() => undefined),
    get peerId() {
      return pool.peerId;
    },
    stats: () => ({
      peerId: pool.peerId,
      connections: pool.connections,
      uploadBytes: counters.uploadBytes,
      servedChunks: counters.servedChunks,
      droppedPeers: counters.droppedPeers,
      bytesByPeer: counters.snapshotBytesByPeer(),
    }),
    stop() {
      unsubscribe();
      envelopes.stop();
      bridge.dispose();
      tracker.close();
      pool.close();
    },
  };
}
