/**
 * Sends frames to signalling sockets, coalescing the frames sent to one socket during one I/O
 * callback into one write syscall.
 *
 * A read from one sender often carries several frames (an OFFER and its CANDIDATEs, or a load
 * generator's burst), and ws writes each frame on its own (a writev per frame). Corking the
 * destination's TCP socket at its first frame and uncorking on process.nextTick, which runs right
 * after the current callback and before any other I/O, sends them together: fewer syscalls and
 * no added delay. ws has no public cork, so this reaches its `_socket` (the net.Socket it wraps,
 * a field ws has had since its first versions); without it, frames are sent one by one as usual.
 *
 * A relayed frame arrives already framed (relay-frame.ts) and, when `writeFrames` is on, is
 * written to that socket as it is, behind anything ws wrote before it: safe because ws's sender
 * writes straight through to the same socket, in call order, unless it is compressing, which
 * `writeFrames` rules out, or reading a Blob, which this server never sends. Only an OPEN socket
 * takes such a write, so nothing follows ws's close frame.
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { frameBody } from './relay-frame.js';

// A Buffer holding UTF-8 JSON goes out as a text frame, like a string would, minus the encoding.
const TEXT_FRAME = { binary: false } as const;

/** A ws socket with the net.Socket it wraps. */
type WrappedSocket = WebSocket & { _socket?: Socket };

/** Per-server batcher; one pending list, one nextTick per batch. */
export class WriteBatch {
  #corked: Socket[] = [];
  readonly #flush = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const socket of corked) socket.uncork();
  };

  /**
   * @param writeFrames True when no socket can have negotiated an extension (permessage-deflate
   *   off on the server): framed relays then bypass ws's sender.
   */
  constructor(private readonly writeFrames: boolean) {}

  /** Sends a text message (`string` or UTF-8 bytes) through ws, corked until the end of the current callback. */
  send(ws: WebSocket, message: Buffer | string): void {
    this.#cork(ws as WrappedSocket);
    if (typeof message === 'string') ws.send(message);
    else ws.send(message, TEXT_FRAME);
  }

  /** Sends a whole text frame built by relay-frame.ts, corked likewise. */
  sendFrame(ws: WebSocket, frame: Buffer): void {
    const socket = this.#cork(ws as WrappedSocket);
    if (socket !== undefined && this.writeFrames) socket.write(frame);
    else ws.send(frameBody(frame), TEXT_FRAME);
  }

  /** Corks `ws`'s socket for this callback; returns it when it is OPEN and writable. */
  #cork(ws: WrappedSocket): Socket | undefined {
    const socket = ws._socket;
    if (ws.readyState !== WebSocket.OPEN || socket === undefined || !socket.writable) return undefined;
    if (socket.writableCorked === 0) {
      socket.cork();
      if (this.#corked.push(socket) === 1) process.nextTick(this.#flush);
    }
    return socket;
  }
}
