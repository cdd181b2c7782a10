/**
 * Coalesces the frames sent to one socket during one I/O callback into one write syscall.
 *
 * A read from one sender often carries several frames (an OFFER and its CANDIDATEs, or a load
 * generator's burst), and ws writes each frame on its own (a writev per frame). Corking the
 * destination's TCP socket at its first frame and uncorking on process.nextTick, which runs right
 * after the current callback and before any other I/O, sends them together: fewer syscalls and
 * no added delay. ws has no public cork, so this reaches its `_socket` (the net.Socket it wraps,
 * a field ws has had since its first versions); without it, frames are sent one by one as usual.
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

// A Buffer holding UTF-8 JSON goes out as a text frame, like a string would, minus the encoding.
const TEXT_FRAME = { binary: false } as const;

/** Per-server batcher; one pending list, one nextTick per batch. */
export class WriteBatch {
  #corked: Socket[] = [];
  readonly #flush = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const socket of corked) socket.uncork();
  };

  /** Sends one text frame to `ws`, corked until the end of the current callback. */
  send(ws: WebSocket, frame: Buffer | string): void {
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    if (ws.readyState === WebSocket.OPEN && socket !== undefined && socket.writableCorked === 0 && !socket.destroyed) {
      socket.cork();
      if (this.#corked.push(socket) === 1) process.nextTick(this.#flush);
    }
    if (typeof frame === 'string') ws.send(frame);
    else ws.send(frame, TEXT_FRAME);
  }
}
