/**
 * WebSockets at server shutdown: each is told to close, and one that has not finished the close
 * handshake after a grace (a client reading its socket answers within a round trip) is cut. ws
 * would otherwise wait its own 30 s close timeout for a busy or vanished client, and the server's
 * close (which waits for every connection) with it.
 */
import type { WebSocket } from 'ws';

/** How long a socket told to close may take to finish the handshake. */
export const SHUTDOWN_GRACE_MS = 1_000;

/** Cuts, `graceMs` from now, each of `sockets` not closed by then; the timer does not keep the process alive. */
export function cutAfterGrace(sockets: readonly WebSocket[], graceMs = SHUTDOWN_GRACE_MS): void {
  if (sockets.length === 0) return;
  setTimeout(() => {
    for (const socket of sockets) if (socket.readyState !== socket.CLOSED) socket.terminate();
  }, graceMs).unref();
}
