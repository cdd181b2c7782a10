/**
 * What the feature plugins share, decorated on the Fastify instance as `swarmcdn`: the resolved
 * options, the state store, an event bus (manifest updates → tracker push) and byte counters.
 * Plugins meet here, never file to file.
 */
import { EventEmitter } from 'node:events';
import type {} from 'fastify';
import type { ResolvedServerOptions } from './options.js';
import type { SwarmStore } from './store/store.js';

/** A newly published signed manifest. */
export interface ManifestUpdate {
  /** The envelope JSON exactly as served at /swarmcdn/manifest. */
  readonly envelopeJson: string;
  readonly version: number;
  readonly etag: string;
}

/** Events between plugins. */
export interface SwarmcdnEvents {
  manifest: [ManifestUpdate];
}

/** Bytes that clients report, by where they came from. */
export interface ByteCounters {
  peer: number;
  cache: number;
  origin: number;
}

/** Live connection counts the plugins keep up to date. */
export interface ConnectionGauges {
  signalling: number;
  tracker: number;
}

/** The shared context. */
export interface SwarmcdnContext {
  readonly options: ResolvedServerOptions;
  readonly store: SwarmStore;
  readonly events: EventEmitter<SwarmcdnEvents>;
  readonly bytes: ByteCounters;
  readonly connections: ConnectionGauges;
  /** SPKI PEMs of the keys the site's manifests are verified with (baked into sw.js). */
  readonly trustedKeys: readonly string[];
  /** The current manifest, once one is loaded or built. */
  currentManifest: ManifestUpdate | undefined;
}

/** A fresh context for one server. */
export function createContext(options: ResolvedServerOptions, store: SwarmStore, trustedKeys: readonly string[] = []): SwarmcdnContext {
  return {
    options,
    store,
    events: new EventEmitter<SwarmcdnEvents>(),
    bytes: { peer: 0, cache: 0, origin: 0 },
    connections: { signalling: 0, tracker: 0 },
    trustedKeys: Object.freeze([...trustedKeys]),
    currentManifest: undefined,
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    swarmcdn: SwarmcdnContext;
  }
}
