/**
 * The manifest relay on one peer session (frames: protocol/messages/peer-manifest.ts). Each side
 * says which manifest version its SW holds (`manifest-version`, rising only); the side holding a
 * newer one than the other said sends its envelope once (`manifest-part` frames, in order, paced on
 * the channel's buffer). The receiver hands the whole envelope to the page relay, which hands it
 * to the SW: the SW verifies it as it verifies the server's, so a peer is never trusted here.
 *
 * Who speaks first: the side that accepted a connection whose metadata says the offerer relays
 * (an older bridge drops a peer for a frame type it does not know); the offerer answers once it has
 * heard. Nothing is said before the SW told the page its version.
 *
 * What breaks the protocol (the peer is dropped): versions that do not rise; a part of a version
 * this side never said it lacks (not above the first version it announced, or above what the peer
 * announced); a part out of order, of another length, or of a version this session already got.
 * A new transfer (offset 0, a higher version) replaces one the sender abandoned because this side
 * announced it has it. At most one envelope is assembled per session, in memory as it arrives
 * (≤ MAX_RELAYED_ENVELOPE_BYTES).
 */
import {
  MAX_ENVELOPE_PART_BYTES,
  encodeManifestPart,
  encodeManifestVersion,
  isManifestRelayMetadata,
  type ManifestFrame,
} from '../protocol/messages/peer-manifest.js';
import type { PeerFrame } from '../protocol/messages/peer.js';
import type { SessionExtension, SessionIo } from './session-extensions.js';
import { SEND_HIGH_WATER_BYTES } from './upload-pacing.js';
import { sleep } from './wait.js';

/** How often a sender looks at a full send buffer again. */
const DRAIN_POLL_MS = 25;
/** A send buffer that does not drain for this long ends the transfer (the session is as good as gone). */
const SEND_STALL_MS = 30_000;

/** The envelope this page's SW routes by: version 0 and no bytes when it has none. */
export interface OwnEnvelope {
  readonly version: number;
  readonly bytes?: Uint8Array;
}

/** What a session's relay needs from the page's. */
export interface RelayPage {
  /** The SW's envelope, or undefined until the SW said. */
  own(): OwnEnvelope | undefined;
  /** A whole envelope of `version` arrived from `peerId` (unverified). */
  received(peerId: string, version: number, bytes: Uint8Array): void;
  /** The session closed. */
  closed(relay: SessionRelay): void;
}

interface Incoming {
  readonly version: number;
  readonly total: number;
  readonly parts: Uint8Array[];
  received: number;
}

function joined(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The relay state of one session. */
export class SessionRelay implements SessionExtension {
  readonly #io: SessionIo;
  readonly #page: RelayPage;
  readonly #now: () => number;
  #capable: boolean;
  /** The last version we announced, and the first (-1: none yet). */
  #announced = -1;
  #firstAnnounced = -1;
  /** The last version the peer announced (-1: none yet). */
  #theirs = -1;
  /** The highest version the peer started sending us, and the highest we started sending it. */
  #lastReceived = 0;
  #lastSent = 0;
  #incoming: Incoming | undefined;
  #sending = false;
  #closed = false;

  constructor(io: SessionIo, page: RelayPage, now: () => number = Date.now) {
    this.#io = io;
    this.#page = page;
    this.#now = now;
    this.#capable = io.speaksFirst && isManifestRelayMetadata(io.metadata);
    // Not from the factory: the session is still being set up.
    if (this.#capable) queueMicrotask(() => this.update());
  }

  /** True while an envelope goes either way. */
  get busy(): boolean {
    return this.#sending || this.#incoming !== undefined;
  }

  /** True once the peer is known to relay (it said so, or spoke first). */
  get capable(): boolean {
    return this.#capable;
  }

  /** The SW's version changed (or became known): tell the peer, and send what it lacks. */
  update(): void {
    const own = this.#page.own();
    if (this.#closed || !this.#capable || !own) return;
    // What is coming in is no newer than what the SW has now: the sender stops once it hears.
    if (this.#incoming && this.#incoming.version <= own.version) this.#incoming = undefined;
    if (own.version > this.#announced) {
      if (!this.#io.send(encodeManifestVersion(own.version))) return;
      this.#announced = own.version;
      if (this.#firstAnnounced < 0) this.#firstAnnounced = own.version;
    }
    void this.#send();
  }

  /** Takes the manifest relay's frames. */
  frame(frame: PeerFrame): boolean {
    if (this.#closed) return frame.type === 'manifest-version' || frame.type === 'manifest-part';
    if (frame.type === 'manifest-version') this.#version(frame.version);
    else if (frame.type === 'manifest-part') this.#part(frame);
    else return false;
    return true;
  }

  /** The session closed: whatever was half sent or received is dropped. */
  closed(): void {
    this.#closed = true;
    this.#incoming = undefined;
    this.#page.closed(this);
  }

  #version(version: number): void {
    if (version <= this.#theirs) return this.#io.violation(`manifest version ${version} after ${this.#theirs}`);
    this.#theirs = version;
    // It spoke: it relays (the offerer answers here).
    this.#capable = true;
    this.update();
  }

  #part(part: Extract<ManifestFrame, { type: 'manifest-part' }>): void {
    const { version, total, offset, data } = part;
    if (this.#firstAnnounced < 0 || version <= this.#firstAnnounced || version > this.#theirs) {
      return this.#io.violation(`an envelope of version ${version}, never asked for`);
    }
    let incoming = this.#incoming;
    if (offset === 0 && version > this.#lastReceived) {
      incoming = this.#incoming = { version, total, parts: [], received: 0 };
      this.#lastReceived = version;
    } else if (!incoming || version !== incoming.version || total !== incoming.total || offset !== incoming.received) {
      return this.#io.violation(`an envelope part of version ${version} out of order, or a version sent twice`);
    }
    // The part is a view into the received message: keep a copy.
    incoming.parts.push(data.slice());
    incoming.received += data.length;
    if (incoming.received < total) return;
    this.#incoming = undefined;
    const own = this.#page.own();
    if (!own || version > own.version) this.#page.received(this.#io.peerId, version, joined(incoming.parts, total));
  }

  /** Sends our envelope when the peer said it holds an older version; once per version, one at a time. */
  async #send(): Promise<void> {
    const own = this.#page.own();
    const bytes = own?.bytes;
    if (this.#sending || this.#closed || !own || !bytes || this.#theirs < 0 || own.version <= this.#theirs || own.version <= this.#lastSent) return;
    this.#sending = true;
    this.#lastSent = own.version;
    try {
      for (let offset = 0; offset < bytes.length; offset += MAX_ENVELOPE_PART_BYTES) {
        // The peer got this version (or a newer one) elsewhere meanwhile: it drops what it has of ours.
        if (this.#theirs >= own.version || !(await this.#room())) return;
        if (!this.#io.send(encodeManifestPart(own.version, bytes.length, offset, bytes.subarray(offset, offset + MAX_ENVELOPE_PART_BYTES)))) return;
      }
    } finally {
      this.#sending = false;
    }
    // A newer version may have come while this one went out.
    void this.#send();
  }

  /** Waits until the channel's buffer is under its high-water mark; false when the session closed or the buffer never drained. */
  async #room(): Promise<boolean> {
    const deadline = this.#now() + SEND_STALL_MS;
    for (;;) {
      const channel = this.#io.channel();
      if (this.#closed || !channel) return false;
      if (channel.bufferedAmount <= SEND_HIGH_WATER_BYTES) return true;
      if (this.#now() >= deadline) return false;
      await sleep(DRAIN_POLL_MS);
    }
  }
}
