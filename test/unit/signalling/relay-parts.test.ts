/** The signalling relay's parts, without sockets: id store, token bucket, offline queue, registry, address keys, relay frames. */
import { describe, expect, it } from '@jest/globals';
import { parsePeerjsClientMessage, type PeerjsRelayMessage } from '../../../protocol/messages/peerjs.js';
import { OfflineQueue } from '../../../server/signalling/offline-queue.js';
import type { PeerConnection } from '../../../server/signalling/peer-connection.js';
import { PeerRegistry } from '../../../server/signalling/peer-registry.js';
import { frameBody, relayFrame, splicedFrame } from '../../../server/signalling/relay-frame.js';
import { takeToken } from '../../../server/token-bucket.js';
import { MemorySignallingStore } from '../../../server/store/memory-signalling-store.js';

describe('MemorySignallingStore', () => {
  it('binds an issued id to the first token that claims it, for good', () => {
    let now = 1_000;
    const store = new MemorySignallingStore({ now: () => now });
    store.issueId('a', 100, 'v4:a', 1_000);
    expect(store.claimId('a', 't1')).toBe(true);
    expect(store.claimId('a', 't1')).toBe(true);
    expect(store.claimId('a', 't2')).toBe(false);
    now += 1_000_000; // a claimed id does not expire
    expect(store.claimId('a', 't1')).toBe(true);
    expect(store.claimId('never-issued', 't1')).toBe(false);
    store.releaseId('a');
    expect(store.claimId('a', 't1')).toBe(false);
  });

  it('forgets ids not claimed within their TTL', () => {
    let now = 0;
    const store = new MemorySignallingStore({ now: () => now });
    store.issueId('a', 100, 'v4:a', 1_000);
    store.issueId('b', 100, 'v4:a', 1_000);
    now = 99;
    expect(store.claimId('a', 't')).toBe(true);
    now = 100;
    expect(store.claimId('b', 't')).toBe(false);
    expect(store.counts()).toEqual({ issuedIds: 1 });
  });

  it('caps unclaimed ids, forgetting the oldest first', () => {
    const store = new MemorySignallingStore({ maxUnclaimed: 3 });
    store.issueId('claimed', 60_000, 'v4:a', 1_000);
    expect(store.claimId('claimed', 't')).toBe(true);
    for (let i = 0; i < 5; i++) store.issueId(`u${i}`, 60_000, 'v4:a', 1_000);
    expect(store.counts()).toEqual({ issuedIds: 4 });
    expect(store.claimId('u1', 't')).toBe(false);
    expect(store.claimId('u2', 't')).toBe(true);
    expect(store.claimId('claimed', 't')).toBe(true);
  });

  it('caps unclaimed ids per address: claiming, expiry and release free a place; other addresses are unaffected', () => {
    let now = 0;
    const store = new MemorySignallingStore({ now: () => now });
    expect(['a1', 'a2', 'a3'].map((id) => store.issueId(id, 100, 'v4:1.2.3.4', 3))).toEqual([true, true, true]);
    expect(store.issueId('a4', 100, 'v4:1.2.3.4', 3)).toBe(false);
    expect(store.isIssued('a4')).toBe(false);
    expect(store.issueId('b1', 100, 'v4:1.2.3.5', 3)).toBe(true);
    expect(store.claimId('a1', 't')).toBe(true); // claimed: no longer pending
    expect(store.issueId('a4', 100, 'v4:1.2.3.4', 3)).toBe(true);
    expect(store.issueId('a5', 100, 'v4:1.2.3.4', 3)).toBe(false);
    store.releaseId('a2');
    expect(store.issueId('a5', 100, 'v4:1.2.3.4', 3)).toBe(true);
    now = 100; // a3, a4, a5 expire unclaimed
    expect(['a6', 'a7', 'a8'].map((id) => store.issueId(id, 100, 'v4:1.2.3.4', 3))).toEqual([true, true, true]);
    expect(store.issueId('a9', 100, 'v4:1.2.3.4', 3)).toBe(false);
  });

  it('says which ids frames may wait for: claimed ones, and unclaimed ones within their TTL', () => {
    let now = 0;
    const store = new MemorySignallingStore({ now: () => now });
    store.issueId('claimed', 100, 'v4:a', 10);
    store.issueId('pending', 100, 'v4:a', 10);
    expect(store.claimId('claimed', 't')).toBe(true);
    expect([store.isIssued('claimed'), store.isIssued('pending'), store.isIssued('never')]).toEqual([true, true, false]);
    now = 100;
    expect([store.isIssued('claimed'), store.isIssued('pending')]).toEqual([true, false]);
    store.releaseId('claimed');
    expect(store.isIssued('claimed')).toBe(false);
  });

  it('stays bounded under a long stream of expiring ids', () => {
    let now = 0;
    const store = new MemorySignallingStore({ now: () => now });
    for (let i = 0; i < 50_000; i++) {
      now += 1;
      store.issueId(`id${i}`, 100, 'v4:a', 1_000);
    }
    expect(store.counts().issuedIds).toBeLessThanOrEqual(100);
  });
});

describe('takeToken', () => {
  it('allows a burst, then the sustained rate, and never mints tokens from a clock going back', () => {
    const bucket = { tokens: 3, refilledAt: 0 };
    const perMs = 10 / 1000; // 10 per second
    expect([1, 2, 3, 4].map(() => takeToken(bucket, 0, perMs, 3))).toEqual([true, true, true, false]);
    expect(takeToken(bucket, 50, perMs, 3)).toBe(false);
    expect(takeToken(bucket, 100, perMs, 3)).toBe(true);
    expect(takeToken(bucket, -1_000_000, perMs, 3)).toBe(false);
    expect(takeToken(bucket, 10_000, perMs, 3)).toBe(true); // refilled to the burst, not beyond
    expect(bucket.tokens).toBe(2);
  });
});

describe('OfflineQueue', () => {
  const roomy = { perPeer: 100, total: 100, bytes: 1_000, perSender: 100, perSenderBytes: 1_000, perAddress: 100, perAddressBytes: 1_000 };
  const frames = (waiting: readonly { frame: Buffer | string }[]): (Buffer | string)[] => waiting.map((w) => w.frame);

  it('bounds frames per destination, in all, and in bytes', () => {
    const queue = new OfflineQueue({ ...roomy, perPeer: 2, total: 3, bytes: 10 });
    expect(queue.push('x', 'aa', 's', 'A', 0)).toBe(true);
    expect(queue.push('x', 'bb', 's', 'A', 0)).toBe(true);
    expect(queue.push('x', 'cc', 's', 'A', 0)).toBe(false); // per peer
    expect(queue.push('y', 'dddddd', 's', 'A', 0)).toBe(true);
    expect(queue.push('z', 'e', 's', 'A', 0)).toBe(false); // total
    expect(frames(queue.take('y'))).toEqual(['dddddd']);
    expect(queue.push('z', 'eeeeeeeeee', 's', 'A', 0)).toBe(false); // bytes
    expect(queue.push('z', 'eeeeee', 's', 'A', 0)).toBe(true);
    expect(queue.take('x').map((w) => [w.frame, w.src])).toEqual([['aa', 's'], ['bb', 's']]);
    expect(queue.take('x')).toEqual([]);
    expect(queue.size).toBe(1);
  });

  it('bounds what one sender and one address have waiting; taking or expiring frees their share', () => {
    const queue = new OfflineQueue({ ...roomy, perSender: 2, perSenderBytes: 5, perAddress: 3, perAddressBytes: 100 });
    expect(queue.push('x', 'a', 's1', 'A', 0)).toBe(true);
    expect(queue.push('y', 'b', 's1', 'A', 0)).toBe(true);
    expect(queue.push('z', 'c', 's1', 'A', 0)).toBe(false); // s1's frames
    expect(queue.push('z', 'cccccc', 's2', 'A', 0)).toBe(false); // bytes of one sender
    expect(queue.push('z', 'c', 's2', 'A', 0)).toBe(true);
    expect(queue.push('z', 'd', 's3', 'A', 0)).toBe(false); // address A's frames
    expect(queue.push('z', 'd', 's3', 'B', 0)).toBe(true); // another address queues on
    expect(frames(queue.take('x'))).toEqual(['a']);
    expect(queue.push('x', 'e', 's1', 'A', 5)).toBe(true);
    queue.expire(0, () => undefined); // y, z's first two: s1's 'b', s2's 'c', s3's 'd'
    expect(queue.push('w', 'f', 's1', 'A', 6)).toBe(true);
    expect(queue.push('w', 'g', 's2', 'A', 6)).toBe(true);
    expect(queue.push('w', 'h', 's2', 'A', 6)).toBe(false); // address A: e, f, g
    expect(queue.size).toBe(3);
  });

  it('expires old frames, once per sender and destination, and keeps the young', () => {
    const queue = new OfflineQueue(roomy);
    queue.push('x', '1', 'a', 'A', 0);
    queue.push('x', '2', 'a', 'A', 5);
    queue.push('x', '3', 'b', 'A', 10);
    queue.push('x', '4', 'a', 'A', 50);
    queue.push('y', '5', 'a', 'A', 0);
    const expired: string[] = [];
    queue.expire(10, (src, dst) => expired.push(`${src}->${dst}`));
    expect(expired.sort()).toEqual(['a->x', 'a->y', 'b->x']);
    expect(frames(queue.take('x'))).toEqual(['4']);
    expect(queue.size).toBe(0);
  });
});

describe('PeerRegistry', () => {
  const conn = (id: string): PeerConnection => ({ id }) as PeerConnection;

  it('replaces by id, removes only the current holder, and releases after the grace', () => {
    const registry = new PeerRegistry(100);
    const first = conn('a');
    const second = conn('a');
    expect(registry.add(first)).toBeUndefined();
    expect(registry.add(second)).toBe(first);
    expect(registry.remove(first, 0)).toBe(false);
    expect(registry.size).toBe(1);
    expect(registry.remove(second, 0)).toBe(true);
    expect(registry.isBound('a')).toBe(true);
    registry.add(conn('b'));
    registry.remove(registry.get('b')!, 50);
    const released: string[] = [];
    registry.releaseDue(99, (id) => released.push(id));
    expect(released).toEqual([]);
    registry.releaseDue(100, (id) => released.push(id));
    expect(released).toEqual(['a']);
    expect(registry.isBound('a')).toBe(false);
    expect(registry.isBound('b')).toBe(true);
  });
});

describe('PeerRegistry per address', () => {
  const conn = (id: string, addressKey: string): PeerConnection => ({ id, addressKey }) as PeerConnection;

  it('counts live connections per address, through replacement (from another address too) and removal', () => {
    const registry = new PeerRegistry(100);
    const a = conn('a', 'v4:1');
    registry.add(a);
    registry.add(conn('b', 'v4:1'));
    registry.add(conn('c', 'v4:2'));
    expect([registry.countAt('v4:1'), registry.countAt('v4:2'), registry.countAt('v4:3')]).toEqual([2, 1, 0]);
    const moved = conn('a', 'v4:3'); // the same id reconnecting from elsewhere replaces a
    registry.add(moved);
    expect([registry.countAt('v4:1'), registry.countAt('v4:3')]).toEqual([1, 1]);
    expect(registry.remove(a, 0)).toBe(false); // no longer the holder: counts stay
    expect(registry.countAt('v4:3')).toBe(1);
    expect(registry.remove(moved, 0)).toBe(true);
    expect(registry.countAt('v4:3')).toBe(0);
  });
});

describe('relayFrame', () => {
  const parse = (text: string): PeerjsRelayMessage => parsePeerjsClientMessage(text) as PeerjsRelayMessage;

  /** The length an RFC 6455 header announces, and where the body starts. */
  function header(frame: Buffer): { length: number; start: number } {
    const b1 = frame[1]!;
    if (b1 < 126) return { length: b1, start: 2 };
    if (b1 === 126) return { length: frame.readUInt16BE(2), start: 4 };
    return { length: frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6), start: 10 };
  }

  it('splices the server src into the sender bytes, as one unmasked WebSocket text frame', () => {
    const text = ' {"type":"CANDIDATE","dst":"b","payload":{"candidate":{"sdpMid":"0"},"connectionId":"dc_1"}} \n';
    const out = relayFrame(Buffer.from(text), parse(text), 'sender-1', true);
    expect(Buffer.isBuffer(out)).toBe(true);
    const frame = out as Buffer;
    expect(frame[0]).toBe(0x81); // FIN, text
    expect(header(frame)).toEqual({ length: frame.length - 2, start: 2 });
    expect(JSON.parse(frameBody(frame).toString())).toEqual({ ...JSON.parse(text), src: 'sender-1' });
  });

  it('writes each of the three header lengths', () => {
    // Bodies of 125, 126, 65,535 and 65,536 bytes: the edges of the 7-, 16- and 64-bit length forms.
    for (const body of [125, 126, 65_535, 65_536]) {
      const src = 'sender-1';
      const filler = body - '{"x":"","src":""}'.length - src.length;
      const raw = Buffer.from(`{"x":"${'a'.repeat(filler)}"}`);
      const frame = splicedFrame(raw, raw.length - 1, src);
      const { length, start } = header(frame);
      expect([length, start]).toEqual([body, body <= 125 ? 2 : body <= 65_535 ? 4 : 10]);
      expect(frame.length).toBe(start + body);
      expect(JSON.parse(frameBody(frame).toString())).toEqual({ x: 'a'.repeat(filler), src });
    }
  });

  it('rebuilds from the validated fields when the sender wrote its own src or sent binary', () => {
    const text = '{"src":"forged","type":"OFFER","dst":"b","payload":{"x":"é"},"junk":1}';
    for (const utf8 of [true, false]) {
      const out = relayFrame(Buffer.from(text), parse(text), 'real', utf8);
      expect(typeof out).toBe('string');
      expect(out.toString()).not.toContain('forged');
      expect(JSON.parse(out.toString())).toEqual({ type: 'OFFER', src: 'real', dst: 'b', payload: { x: 'é' } });
    }
  });
});
