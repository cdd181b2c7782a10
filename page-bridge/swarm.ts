/**
 * The object startSwarm returns: what a site (and the end-to-end tests) can see of the bridge.
 * Types only; start-swarm.ts builds it.
 */
import type { BridgeApi, SwStats } from '../protocol/messages/sw-page.js';
import type { LeaderCounters } from '../protocol/messages/tabs.js';
import type { SwarmConfig } from './options.js';
import type { TabRole } from './tab-leadership.js';

/**
 * What `swarm.stats()` reads: the SW's counters and the bridge's (the leading tab's: `peerId`,
 * `connections`, `uploadBytes`, `servedChunks`, `droppedPeers`, `bytesByPeer` — chunk bytes
 * received from each peer id, before the SW checked them — and `upload`: whether this visitor
 * uploads now, and why not).
 */
export interface PageStats extends LeaderCounters {
  /** The SW's counters (asked with 'swarmcdn/stats'), or undefined without a controller or an answer in time. */
  readonly sw: SwStats | undefined;
  /** 'leader': this tab runs the visitor's bridge; 'follower': another tab does, and the counters are its. */
  readonly role: TabRole;
}

/** A running swarm bridge in this page. */
export interface Swarm {
  /**
   * Resolves when the SW controls the page and took the bridge ('swarmcdn/bridge-ok'), the PeerJS
   * peer is open and the tracker answered `joined`. Never rejects (a page without service workers
   * just never gets here, and keeps loading from the origin).
   */
  readonly ready: Promise<void>;
  /** Diagnostics: resolves when the visitor's peer (the leader's) is open and the tracker joined, whatever the SW does. Never rejects. */
  readonly peerReady: Promise<void>;
  /** The visitor's PeerJS id (the leading tab's peer), once it opened. */
  readonly peerId: string | undefined;
  /** Whether this tab runs the visitor's bridge ('leader') or uses another tab's ('follower'). */
  readonly role: TabRole;
  /** The options in force. */
  readonly config: SwarmConfig;
  /**
   * Diagnostics and tests: the BridgeApi the SW calls, callable from the page (getChunk, announce…),
   * the very object the SW reaches over Comlink.
   */
  readonly bridge: BridgeApi;
  /** The page's counters and the SW's. */
  stats(): Promise<PageStats>;
  /** The visitor's own choice to upload or not, remembered for the origin (every tab, later visits). */
  setUpload(allow: boolean): void;
  /** Closes every peer connection and the PeerJS peer (and with it the one socket to the server); startSwarm then starts afresh. */
  stop(): Promise<void>;
}
