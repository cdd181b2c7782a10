/**
 * A look at every frame the signalling server sends the page before peerjs handles it. peerjs 1.5
 * hands each parsed frame of its socket to `Peer._handleMessage` (called through `this`, so an own
 * property on the instance replaces it); a frame a filter claims never reaches peerjs. The tracker's
 * frames travel this way: they share the socket with PeerJS's, and peerjs would only log them.
 */
import type { Peer } from 'peerjs';

/** Returns true for a frame it handled (peerjs then never sees it). */
export type ServerFrameFilter = (message: unknown) => boolean;

interface PeerInternals {
  _handleMessage(message: unknown): void;
}

/** Puts `filter` in front of peerjs's own handling of the peer's server frames. */
export function filterServerFrames(peer: Peer, filter: ServerFrameFilter): void {
  const internals = peer as unknown as PeerInternals;
  const handle = internals._handleMessage;
  if (typeof handle !== 'function') throw new Error('peerjs has no Peer._handleMessage: the pinned peerjs version changed');
  internals._handleMessage = (message: unknown): void => {
    if (!filter(message)) handle.call(peer, message);
  };
}

/** Sends one message on the peer's signalling socket (peerjs's own `socket.send`); false when the socket is not open. */
export function sendOnServerSocket(peer: Peer, message: { readonly type: string }): boolean {
  if (!peer.open || peer.disconnected || peer.destroyed) return false;
  (peer.socket as unknown as { send(data: object): void }).send(message);
  return true;
}
