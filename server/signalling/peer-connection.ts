/**
 * The state the server keeps per signalling socket: one small object with fixed fields, reached
 * from the socket through a symbol property so that the listeners can be shared functions (no
 * closure per socket) and found by id through the registry.
 */
import type { WebSocket } from 'ws';
import type { TokenBucketState } from '../token-bucket.js';
import type { TrackerSession } from '../tracker/session.js';

/** One admitted client. */
export class PeerConnection implements TokenBucketState {
  tokens: number;
  refilledAt: number;
  /** When the last frame arrived, ms (the idle sweep reads it). */
  lastSeen: number;
  /** Set once the server closes it or it closes; later frames are ignored. */
  closed = false;
  /** The tracker session this socket's first tracker frame opened. */
  tracker: TrackerSession | undefined = undefined;

  constructor(
    /** The server-issued id this socket holds. */
    readonly id: string,
    readonly socket: PeerSocket,
    /** The client address's network (server/tracker/network-key.ts): the tracker groups and caps by it. */
    readonly networkKey: string,
    /** The client's address (address-key.ts): per-address caps count by it. */
    readonly addressKey: string,
    now: number,
    burst: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
    this.lastSeen = now;
  }
}

/** The property of a ws socket that holds its PeerConnection. */
export const PEER = Symbol('swarmcdn.peer');

/** A ws socket the signalling plugin admitted. */
export interface PeerSocket extends WebSocket {
  [PEER]?: PeerConnection;
}
