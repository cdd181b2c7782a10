/**
 * The manifest relay between two pages' bridges over an in-memory wire (frames encoded, parsed
 * with the real parser, delivered asynchronously): who speaks first, the newer side sends its
 * envelope once and byte for byte in parts, the receiver hands it to its SW once, versions a side
 * already holds travel no more, and every breach of the relay protocol is a violation (the peer is
 * dropped). Pacing holds parts while the channel's buffer is full.
 */
import { describe, expect, it } from '@jest/globals';
import { EnvelopeRelay } from '../../../page-bridge/envelope-relay.js';
import type { SessionExtension, SessionIo } from '../../../page-bridge/session-extensions.js';
import { SEND_HIGH_WATER_BYTES } from '../../../page-bridge/upload-pacing.js';
import { PEER_EXCHANGE_METADATA, parsePeerFrame, type PeerFrame } from '../../../protocol/messages/peer.js';
import { MAX_ENVELOPE_PART_BYTES, encodeManifestPart, encodeManifestVersion } from '../../../protocol/messages/peer-manifest.js';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const envelopeOf = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * seed + 3) & 0xff);

/** One side: its relay, what it sent (parsed), what it handed its SW, and why it dropped the other. */
interface Side {
  readonly relay: EnvelopeRelay;
  readonly sent: PeerFrame[];
  readonly toSw: { peerId: string; bytes: Uint8Array }[];
  readonly violations: string[];
  readonly channel: { bufferedAmount: number };
  extension: SessionExtension | undefined;
  deliver(frame: Uint8Array): void;
}

function side(name: string, options: { speaksFirst: boolean; metadata: unknown }, remote: () => Side | undefined): Side {
  const toSw: Side['toSw'] = [];
  const s: Side = {
    relay: new EnvelopeRelay({ toSw: (peerId, bytes) => toSw.push({ peerId, bytes }) }),
    sent: [],
    toSw,
    violations: [],
    channel: { bufferedAmount: 0 },
    extension: undefined,
    deliver(frame) {
      const parsed = parsePeerFrame(frame);
      if (!parsed.ok) return void s.violations.push(parsed.reason);
      if (!s.extension?.frame(parsed.frame)) s.violations.push(`unhandled ${parsed.frame.type}`);
    },
  };
  const io: SessionIo = {
    peerId: name === 'a' ? 'peer-b' : 'peer-a',
    metadata: options.metadata,
    speaksFirst: options.speaksFirst,
    send: (frame) => {
      const parsed = parsePeerFrame(frame);
      if (parsed.ok) s.sent.push(parsed.frame);
      const copy = frame.slice();
      setImmediate(() => remote()?.deliver(copy));
      return true;
    },
    violation: (reason) => void s.violations.push(reason),
    channel: () => s.channel as unknown as RTCDataChannel,
  };
  s.extension = s.relay.attach(io);
  return s;
}

/** A session between an offerer (a) and the side that accepted it (b), both relaying unless `metadata` says otherwise. */
function connected(metadata: unknown = PEER_EXCHANGE_METADATA): { a: Side; b: Side } {
  const ends: { a?: Side; b?: Side } = {};
  const a = (ends.a = side('a', { speaksFirst: false, metadata }, () => ends.b));
  const b = (ends.b = side('b', { speaksFirst: true, metadata }, () => ends.a));
  return { a, b };
}

const versions = (s: Side): number[] => s.sent.filter((f) => f.type === 'manifest-version').map((f) => (f.type === 'manifest-version' ? f.version : -1));
const parts = (s: Side): PeerFrame[] => s.sent.filter((f) => f.type === 'manifest-part');

describe('EnvelopeRelay between two bridges', () => {
  it('the side that accepted speaks first; the newer side sends its envelope in order, once; the older hands it to its SW byte for byte', async () => {
    const { a, b } = connected();
    const v3 = envelopeOf(2 * MAX_ENVELOPE_PART_BYTES + 1000, 7);
    a.relay.setEnvelope(1, envelopeOf(500, 3));
    b.relay.setEnvelope(3, v3);
    await tick(100);
    expect(versions(b)).toEqual([3]);
    expect(versions(a)).toEqual([1]);
    expect(parts(b)).toHaveLength(3);
    expect(parts(a)).toHaveLength(0);
    expect(a.toSw).toHaveLength(1);
    expect(a.toSw[0]!.peerId).toBe('peer-b');
    expect(Buffer.compare(Buffer.from(a.toSw[0]!.bytes), Buffer.from(v3))).toBe(0);
    // A's SW adopts v3 and says so: A announces it, and nothing travels again.
    a.relay.setEnvelope(3, v3);
    await tick(100);
    expect(versions(a)).toEqual([1, 3]);
    expect(parts(b)).toHaveLength(3);
    expect([a.violations, b.violations]).toEqual([[], []]);
  });

  it('a side that moves to a newer version later tells the peer, which then gets it (one transfer per version)', async () => {
    const { a, b } = connected();
    a.relay.setEnvelope(2, envelopeOf(100, 1));
    b.relay.setEnvelope(2, envelopeOf(100, 1));
    await tick(100);
    expect(parts(a).length + parts(b).length).toBe(0);
    const v4 = envelopeOf(300, 9);
    b.relay.setEnvelope(4, v4);
    await tick(100);
    expect(versions(b)).toEqual([2, 4]);
    expect(a.toSw.map((t) => t.bytes.length)).toEqual([300]);
    // An older or equal version from the SW changes nothing.
    b.relay.setEnvelope(3, envelopeOf(100, 2));
    await tick(100);
    expect(versions(b)).toEqual([2, 4]);
    expect([a.violations, b.violations]).toEqual([[], []]);
  });

  it('says nothing to a peer whose connect metadata does not say it relays (an older bridge would drop us), nor before the SW said its version', async () => {
    const old = connected({ exchange: 1 });
    old.b.relay.setEnvelope(5, envelopeOf(100, 1));
    await tick(100);
    expect(old.b.sent).toEqual([]);
    const fresh = connected();
    await tick(100);
    expect(fresh.b.sent).toEqual([]);
    // A SW without a manifest says version 0: the peer's envelope comes over.
    fresh.b.relay.setEnvelope(0, undefined);
    fresh.a.relay.setEnvelope(2, envelopeOf(100, 4));
    await tick(100);
    expect(versions(fresh.b)).toEqual([0]);
    expect(fresh.b.toSw.map((t) => t.bytes.length)).toEqual([100]);
  });

  it('a version that does not rise, or an envelope never asked for, out of order or sent twice, is a violation', async () => {
    const cases: [string, (b: Side) => void][] = [
      ['falling version', (b) => [encodeManifestVersion(4), encodeManifestVersion(4)].forEach((f) => b.deliver(f))],
      ['not newer than what b said it has', (b) => [encodeManifestVersion(5), encodeManifestPart(2, 10, 0, new Uint8Array(10))].forEach((f) => b.deliver(f))],
      ['above what the peer announced', (b) => [encodeManifestVersion(5), encodeManifestPart(6, 10, 0, new Uint8Array(10))].forEach((f) => b.deliver(f))],
      ['out of order', (b) => [encodeManifestVersion(5), encodeManifestPart(5, 10, 0, new Uint8Array(4)), encodeManifestPart(5, 10, 6, new Uint8Array(4))].forEach((f) => b.deliver(f))],
      ['another total', (b) => [encodeManifestVersion(5), encodeManifestPart(5, 10, 0, new Uint8Array(4)), encodeManifestPart(5, 12, 4, new Uint8Array(4))].forEach((f) => b.deliver(f))],
      ['sent twice', (b) => [encodeManifestVersion(5), encodeManifestPart(5, 4, 0, new Uint8Array(4)), encodeManifestPart(5, 4, 0, new Uint8Array(4))].forEach((f) => b.deliver(f))],
    ];
    for (const [what, play] of cases) {
      const b = side('b', { speaksFirst: true, metadata: PEER_EXCHANGE_METADATA }, () => undefined);
      b.relay.setEnvelope(2, envelopeOf(10, 1));
      await tick(5);
      play(b);
      expect({ what, violations: b.violations.length }).toEqual({ what, violations: 1 });
    }
  });

  it('a peer that speaks before saying it relays is heard: the offerer answers the first manifest-version', async () => {
    const a = side('a', { speaksFirst: false, metadata: undefined }, () => undefined);
    a.relay.setEnvelope(1, envelopeOf(10, 1));
    await tick(5);
    expect(a.sent).toEqual([]);
    a.deliver(encodeManifestVersion(3));
    await tick(5);
    expect(versions(a)).toEqual([1]);
    a.deliver(encodeManifestPart(3, 4, 0, Uint8Array.from([1, 2, 3, 4])));
    expect(a.toSw.map((t) => [...t.bytes])).toEqual([[1, 2, 3, 4]]);
    expect(a.violations).toEqual([]);
  });

  it('a receiver that got the version elsewhere drops the half it had; the sender stops, and a newer transfer replaces it', async () => {
    const b = side('b', { speaksFirst: true, metadata: PEER_EXCHANGE_METADATA }, () => undefined);
    b.relay.setEnvelope(1, envelopeOf(10, 1));
    await tick(5);
    b.deliver(encodeManifestVersion(3));
    b.deliver(encodeManifestPart(3, 8, 0, new Uint8Array(4)));
    expect(b.extension?.busy).toBe(true);
    b.relay.setEnvelope(3, envelopeOf(8, 2));
    expect(b.extension?.busy).toBe(false);
    b.deliver(encodeManifestVersion(4));
    b.deliver(encodeManifestPart(4, 4, 0, new Uint8Array(4)));
    expect(b.toSw.map((t) => t.bytes.length)).toEqual([4]);
    expect(b.violations).toEqual([]);
  });

  it('parts wait while the channel buffer is over its high-water mark', async () => {
    const { a, b } = connected();
    b.channel.bufferedAmount = SEND_HIGH_WATER_BYTES + 1;
    a.relay.setEnvelope(1, envelopeOf(10, 1));
    b.relay.setEnvelope(2, envelopeOf(MAX_ENVELOPE_PART_BYTES * 2, 5));
    await tick(300);
    expect(versions(b)).toEqual([2]);
    expect(parts(b)).toHaveLength(0);
    expect(b.extension?.busy).toBe(true);
    b.channel.bufferedAmount = 0;
    await tick(300);
    expect(parts(b)).toHaveLength(2);
    expect(a.toSw).toHaveLength(1);
  });
});
