/**
 * A look at every frame the signalling server sends the page before peerjs handles it. peerjs 1.5
 * hands each parsed frame of its socket to `Peer._handleMessage` (called through `this`, so an own
 * property on the instance replaces it); a frame a filter claims never reaches peerjs. The tracker's
 * frames travel this way: they share the socket with PeerJS's, and peerjs would only log them. The
 * other peers' frames go past the signal guard here too (screenSignalFrame), which needs two more
 * looks inside peerjs: its connections, and the store it claims an OFFER's early frames from.
 */
import type { Peer } from 'peerjs';
import type { SignalGuard, SignalPoolView } from './signal-guard.js';

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

interface PeerConnectionsInternals {
  /** peerjs's store of frames for connections it does not know yet, claimed by an OFFER with that connection id. */
  _lostMessages: Map<string, unknown[]>;
  getConnection(peerId: string, connectionId: string): { peerConnection?: unknown } | null;
}

/** True when peerjs has a live connection `connectionId` with `peerId` (the case in which it hands that connection a frame). */
export function peerKnowsConnection(peer: Peer, peerId: string, connectionId: string): boolean {
  const connection = (peer as unknown as PeerConnectionsInternals).getConnection(peerId, connectionId);
  return connection != null && connection.peerConnection != null;
}

/**
 * Puts frames held for connection `connectionId` where peerjs looks for them when it handles that
 * connection's OFFER (it claims and removes them in the same call), just before the OFFER goes on.
 */
export function handOverHeldFrames(peer: Peer, connectionId: string, frames: readonly unknown[]): void {
  const lost = (peer as unknown as PeerConnectionsInternals)._lostMessages;
  if (lost instanceof Map && frames.length > 0) lost.set(connectionId, [...frames]);
}

/**
 * Runs one server frame past the signal guard (signal-guard.ts) with peerjs's own connections as
 * its view; true when the guard took it (peerjs never sees it). A declined offerer the guard says to
 * tell gets EXPIRE: peerjs's peer-unavailable, which fails its attempt at once.
 */
export function screenSignalFrame(peer: Peer, guard: SignalGuard, pool: Omit<SignalPoolView, 'knows'>, message: unknown): boolean {
  const view: SignalPoolView = { ...pool, knows: (peerId, connectionId) => peerKnowsConnection(peer, peerId, connectionId) };
  const verdict = guard.inspect(message, view, Date.now());
  if (verdict.action === 'pass') {
    if (verdict.held) handOverHeldFrames(peer, verdict.held.connectionId, verdict.held.frames);
    return false;
  }
  if (verdict.action === 'decline' && verdict.reply) {
    const expire = { type: 'EXPIRE', dst: verdict.peerId };
    sendOnServerSocket(peer, expire);
  }
  return true;
}
