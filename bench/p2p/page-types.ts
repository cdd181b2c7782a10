/**
 * What the bench's in-page functions see on `window`: the page bridge's contract (the Swarm that
 * `<script src="/swarmcdn/bridge.js">` starts) and the bench's own raw data-channel state. Types
 * only: the page functions run in Chromium, serialized by playwright, so they import nothing.
 */
import type { SwStats } from '../../protocol/messages/sw-page.js';

/** What `swarm.stats()` resolves to (the page bridge's contract). */
export interface PageSwarmStats {
  readonly sw: SwStats | undefined;
  readonly peerId: string | undefined;
  /** Open peer connections: a count (an array is tolerated). */
  readonly connections: number | readonly unknown[];
  readonly uploadBytes: number;
  readonly servedChunks: number;
  readonly droppedPeers: number;
}

/** `window.swarmcdn.swarm`. */
export interface PageSwarm {
  readonly ready: Promise<void>;
  readonly peerId: string | undefined;
  stats(): Promise<PageSwarmStats>;
  stop(): void;
}

/** One side of the raw RTCDataChannel baseline (bench/p2p/raw-channel.ts). */
export interface RawBenchState {
  pc: RTCPeerConnection;
  dc: RTCDataChannel | undefined;
  /** Receiver side: bytes expected in the current run, and bytes seen. */
  expected: number;
  received: number;
  /** Receiver side: hand each message on to this page's SW (the ideal relay, bench/p2p/ideal-relay.ts). */
  relay: boolean;
}

/** One ideal-relay run in R's page: resolved when the relay SW has answered, and when the body has ended. */
export interface RelayPageRun {
  readonly go: Promise<void>;
  readonly body: Promise<{ ms: number; bytes: number }>;
}

declare global {
  interface Window {
    swarmcdn?: { swarm?: PageSwarm; startSwarm?: (options: Record<string, unknown>) => PageSwarm };
    __rawBench?: RawBenchState;
    __relayRun?: RelayPageRun;
  }
}
