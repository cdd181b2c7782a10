/**
 * Extensions of a peer session: frame types beyond the session's own (chunks, peer exchange) with
 * their own state per session, such as the manifest relay (envelope-relay.ts). A session hands
 * each extension the frames it does not handle itself; one that no extension takes breaks the
 * protocol. An extension must not send from its factory: the session is still being set up.
 */
import type { PeerFrame } from '../protocol/messages/peer.js';

/** What an extension may do with its session. */
export interface SessionIo {
  readonly peerId: string;
  /** The offerer's connect metadata (conn.metadata): unknown until checked. */
  readonly metadata: unknown;
  /**
   * This page accepted the connection from a page that speaks the optional frames, so it speaks
   * first (what the pool tells the exchange: askAtOpen); the offerer waits to hear from it.
   */
  readonly speaksFirst: boolean;
  /** Sends a frame (copied before it returns); false when the session is closed. */
  send(frame: Uint8Array): boolean;
  /** The peer broke the protocol: it is dropped. */
  violation(reason: string): void;
  /** The open data channel (to pace on its buffer), or undefined once the session closed. */
  channel(): RTCDataChannel | undefined;
}

/** Frames of other types than the session's own, and its close. */
export interface SessionExtension {
  /** Takes a frame the session does not handle itself; false when it is not this extension's. */
  frame(frame: PeerFrame): boolean;
  /** True while it has work in flight (the pool keeps a busy session open). */
  readonly busy: boolean;
  /** The session closed. */
  closed(): void;
}

/** Makes a session's extension (called once per session, as it opens). */
export type SessionExtensionFactory = (io: SessionIo) => SessionExtension;
