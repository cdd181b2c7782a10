/**
 * Manifest relay frames of the peer protocol (peer.ts parses every frame; these two are built and
 * read here). `manifest-version` says which signed manifest version the sender's SW holds (0: none);
 * the side holding a newer one sends its DSSE envelope in `manifest-part` frames, in order. The
 * envelope is signed, so any peer may relay it: the receiving SW verifies it exactly as it verifies
 * the server's (trusted keys, rollback floor, expiry). Both go only to a peer that said it relays
 * (`manifest: 1` in its connect metadata, or a `manifest-version` of its own): a page of an older
 * bridge drops a peer for a frame type it does not know.
 *
 * Layout (big-endian), byte 0 the frame type; a u64 version is a safe integer (≤ 2^53 − 1, what a
 * manifest's version may be):
 *   manifest-version  0x07 | version u64                                     = 9 bytes
 *   manifest-part     0x08 | version u64 | total u32 | offset u32 | data (≥ 1 byte, ≤ MAX_ENVELOPE_PART_BYTES)
 */
import { DEFAULT_MAX_ENVELOPE_BYTES } from '../manifest/types.js';

/** Envelope bytes in one `manifest-part` frame: 128 KiB, as a piece, well under the 256 KiB message cap. */
export const MAX_ENVELOPE_PART_BYTES = 131_072;
/** The largest envelope a peer may relay: the protocol's own envelope cap, so a relay never makes one too large. */
export const MAX_RELAYED_ENVELOPE_BYTES = DEFAULT_MAX_ENVELOPE_BYTES;

const MANIFEST_VERSION = 0x07;
const MANIFEST_PART = 0x08;
/** The frame types this file reads (peer.ts hands them here). */
export const MANIFEST_FRAME_TYPES: ReadonlySet<number> = new Set([MANIFEST_VERSION, MANIFEST_PART]);
const VERSION_BYTES = 9;
const PART_HEADER_BYTES = 17;
const U32 = 2 ** 32;
/** The high word of the largest safe integer: a u64 above it is not a version. */
const MAX_VERSION_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / U32);

/** A manifest relay frame, parsed. */
export type ManifestFrame =
  /** The manifest version the sender's SW holds (0: none): its word, until an envelope proves it. */
  | { readonly type: 'manifest-version'; readonly version: number }
  /** `data` (a view into the message, no copy) sits at `offset` of the `total`-byte envelope of manifest `version` (≥ 1). */
  | { readonly type: 'manifest-part'; readonly version: number; readonly total: number; readonly offset: number; readonly data: Uint8Array };

/** True when a connection's metadata (anything the offerer sent) says it relays manifest envelopes. */
export function isManifestRelayMetadata(metadata: unknown): boolean {
  return typeof metadata === 'object' && metadata !== null && (metadata as { manifest?: unknown }).manifest === 1;
}

function isVersion(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function frameOf(type: number, version: number, bytes: number): { frame: Uint8Array; view: DataView } {
  const frame = new Uint8Array(bytes);
  const view = new DataView(frame.buffer);
  view.setUint8(0, type);
  view.setUint32(1, Math.floor(version / U32));
  view.setUint32(5, version % U32);
  return { frame, view };
}

/** Encodes the manifest version this side's SW holds (0: none). */
export function encodeManifestVersion(version: number): Uint8Array {
  if (!isVersion(version)) throw new RangeError(`version ${version} is not a safe non-negative integer`);
  return frameOf(MANIFEST_VERSION, version, VERSION_BYTES).frame;
}

/** Encodes one part of manifest `version`'s envelope: `data` sits at `offset` of `total` bytes. */
export function encodeManifestPart(version: number, total: number, offset: number, data: Uint8Array): Uint8Array {
  if (!isVersion(version) || version < 1) throw new RangeError(`version ${version} is not a manifest version`);
  if (data.length === 0 || data.length > MAX_ENVELOPE_PART_BYTES) throw new RangeError(`part of ${data.length} bytes`);
  if (!Number.isInteger(total) || total > MAX_RELAYED_ENVELOPE_BYTES || !Number.isInteger(offset) || offset < 0 || offset + data.length > total) {
    throw new RangeError('part outside its envelope');
  }
  const { frame, view } = frameOf(MANIFEST_PART, version, PART_HEADER_BYTES + data.length);
  view.setUint32(9, total);
  view.setUint32(13, offset);
  frame.set(data, PART_HEADER_BYTES);
  return frame;
}

/** Splits a whole envelope into `manifest-part` frames of at most `partBytes` each, in order. */
export function encodeEnvelopeParts(version: number, envelope: Uint8Array, partBytes = MAX_ENVELOPE_PART_BYTES): Uint8Array[] {
  if (envelope.length === 0 || envelope.length > MAX_RELAYED_ENVELOPE_BYTES) throw new RangeError(`an envelope of ${envelope.length} bytes`);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < envelope.length; offset += partBytes) {
    frames.push(encodeManifestPart(version, envelope.length, offset, envelope.subarray(offset, offset + partBytes)));
  }
  return frames;
}

/**
 * Reads a message whose type byte is one of MANIFEST_FRAME_TYPES (peer.ts checked the message cap):
 * the frame, or why it is refused. Never throws.
 */
export function parseManifestFrame(bytes: Uint8Array): ManifestFrame | string {
  if (bytes.length < VERSION_BYTES) return 'manifest frame shorter than its header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(1);
  if (high > MAX_VERSION_HIGH) return 'manifest version above the largest safe integer';
  const version = high * U32 + view.getUint32(5);
  if (bytes[0] === MANIFEST_VERSION) {
    return bytes.length === VERSION_BYTES ? { type: 'manifest-version', version } : 'manifest-version of the wrong length';
  }
  if (bytes.length <= PART_HEADER_BYTES) return 'manifest-part without data';
  const total = view.getUint32(9);
  const offset = view.getUint32(13);
  const data = bytes.subarray(PART_HEADER_BYTES);
  if (version < 1) return 'manifest-part of no manifest version';
  if (data.length > MAX_ENVELOPE_PART_BYTES) return `manifest-part of ${data.length} bytes`;
  if (total > MAX_RELAYED_ENVELOPE_BYTES) return `envelope of ${total} bytes`;
  if (offset + data.length > total) return 'manifest-part outside its envelope';
  return { type: 'manifest-part', version, total, offset, data };
}
