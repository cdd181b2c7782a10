import { describe, expect, it } from '@jest/globals';
import { MANIFEST_TYPE, serializeManifest, toBase64, type ManifestFile } from '../../../protocol/index.js';
import { parseTrackerServerMessage, type TrackerServerMessage } from '../../../protocol/messages/tracker.js';
import { MemoryTrackerStore } from '../../../server/store/memory-tracker-store.js';
import { AvailabilityHub, type AvailabilitySink, type PublishedFiles } from '../../../server/tracker/availability-hub.js';
import type { PeerRecord } from '../../../server/store/store.js';

const SITE = 'https://a.example';
const OTHER = 'https://b.example';
const h = (n: number): `sha256-${string}` => `sha256-${n.toString(36).padStart(43, 'F')}=`;
const peer = (peerId: string, site = SITE): PeerRecord => ({ peerId, site, networkKey: 'v4:192.0.2', regionHint: undefined, uploadScore: 0 });

/** A stand-in published manifest listing these integrities (the hub only unpacks it; signatures are the publisher's job). */
function published(version: number, integrities: number[]): PublishedFiles {
  const files: Record<string, ManifestFile> = {};
  for (const n of integrities) files[`/f${n}`] = { size: 0, contentType: 'text/plain', integrity: h(n), chunks: [] };
  const payload = serializeManifest({
    type: MANIFEST_TYPE,
    version,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    chunkSize: 1024,
    files,
  });
  const envelopeJson = JSON.stringify({ payloadType: 'application/vnd.swarmcdn.manifest+json', payload: toBase64(payload), signatures: [{ keyid: 'k', sig: 'AA==' }] });
  return { version, envelopeJson };
}

type Availability = Extract<TrackerServerMessage, { type: 'availability' }>;

class Sink implements AvailabilitySink {
  readonly batches: (readonly string[])[] = [];
  sendTexts(texts: readonly string[]): void {
    this.batches.push(texts);
  }
  /** Every frame received so far, parsed by the client parser (a frame it refuses fails the test), then forgotten. */
  take(): Availability[] {
    const frames = this.batches.splice(0).flat();
    return frames.map((text) => {
      const parsed = parseTrackerServerMessage(text);
      if (!parsed.ok || parsed.value.type !== 'availability') throw new Error(`not an availability frame: ${text}`);
      return { ...parsed.value, files: { ...parsed.value.files } };
    });
  }
}

function world(options: { perFrame?: number; maxDirty?: number; files?: number[] } = {}) {
  const store = new MemoryTrackerStore();
  let manifest: PublishedFiles | undefined = published(1, options.files ?? [1, 2, 3]);
  const hub = new AvailabilityHub({
    store,
    manifest: () => manifest,
    maxEntriesPerFrame: options.perFrame,
    maxDirtyPerSite: options.maxDirty,
  });
  /** A peer that joins, and whose holdings go through the hub as a session's would. */
  const member = (id: string, site = SITE) => {
    const sink = new Sink();
    store.addPeer(peer(id, site));
    hub.join(sink, site);
    return {
      sink,
      have: (...ns: number[]) => {
        hub.changed(site, ns.map(h));
        store.have(site, id, ns.map(h));
      },
      lost: (...ns: number[]) => {
        hub.changed(site, ns.map(h));
        store.lost(site, id, ns.map(h));
      },
      leave: () => {
        hub.leave(sink, site);
        hub.changed(site, store.peerHashes(site, id));
        store.removePeer(site, id);
      },
    };
  };
  return { store, hub, member, setManifest: (m: PublishedFiles | undefined) => (manifest = m) };
}

describe('AvailabilityHub', () => {
  it('gives a joiner the full snapshot, then one delta per flush with only the changed manifest files', () => {
    const { hub, member } = world();
    const a = member('a');
    expect(a.sink.take()).toEqual([{ type: 'availability', full: true, files: {} }]);
    const b = member('b');
    b.have(1, 2, 99);
    a.have(1);
    // Nothing goes out between flushes.
    expect(a.sink.take()).toEqual([]);
    const bJoin = b.sink.take();
    expect(bJoin).toEqual([{ type: 'availability', full: true, files: {} }]);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 2, [h(2)]: 1 } }]);
    expect(b.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 2, [h(2)]: 1 } }]);
    // A quiet flush sends nothing; a hash outside the manifest never marks anything.
    hub.flush();
    b.have(98);
    hub.flush();
    expect(a.sink.take()).toEqual([]);
    // A late joiner's snapshot has the current counts, and never the hashes outside the manifest.
    const c = member('c');
    expect(c.sink.take()).toEqual([{ type: 'availability', full: true, files: { [h(1)]: 2, [h(2)]: 1 } }]);
  });

  it('sends the same serialized frames to every session of a site, and nothing to other sites', () => {
    const { hub, member } = world();
    const a = member('a');
    const b = member('b');
    const elsewhere = member('x', OTHER);
    for (const s of [a, b, elsewhere]) s.sink.take();
    a.have(3);
    hub.flush();
    expect(a.sink.batches).toHaveLength(1);
    expect(b.sink.batches[0]).toBe(a.sink.batches[0]);
    expect(elsewhere.sink.batches).toEqual([]);
    expect(hub.view(OTHER).files).toEqual({});
    expect(hub.view(SITE)).toEqual({ manifestVersion: 1, files: { [h(3)]: 1 } });
  });

  it('reports a lost file and a departed holder as 0', () => {
    const { hub, member } = world();
    const a = member('a');
    const b = member('b');
    b.have(1, 2);
    hub.flush();
    a.sink.take();
    b.lost(1);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 0 } }]);
    b.sink.take();
    b.leave();
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(2)]: 0 } }]);
    expect(b.sink.take()).toEqual([]);
    expect(hub.view(SITE).files).toEqual({});
  });

  it('splits a snapshot into one full frame and then deltas, and a large delta into several', () => {
    const files = Array.from({ length: 5 }, (_, i) => i + 1);
    const { hub, member } = world({ perFrame: 2, files });
    const holder = member('holder');
    holder.have(...files);
    const joiner = member('joiner');
    const frames = joiner.sink.take();
    expect(frames.map((f) => [f.full, Object.keys(f.files).length])).toEqual([[true, 2], [false, 2], [false, 1]]);
    expect(Object.assign({}, ...frames.map((f) => f.files))).toEqual(Object.fromEntries(files.map((n) => [h(n), 1])));
    holder.lost(...files);
    hub.flush();
    const delta = joiner.sink.take();
    expect(delta.map((f) => f.full)).toEqual([false, false, false]);
    expect(Object.assign({}, ...delta.map((f) => f.files))).toEqual(Object.fromEntries(files.map((n) => [h(n), 0])));
  });

  it('sends the full snapshot instead of a delta once a site collects too many dirty files', () => {
    const { hub, member } = world({ maxDirty: 2 });
    const a = member('a');
    const b = member('b');
    a.sink.take();
    b.have(1, 2);
    a.have(1);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 2, [h(2)]: 1 } }]);
    b.lost(1, 2);
    b.have(3);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: true, files: { [h(1)]: 1, [h(3)]: 1 } }]);
  });

  it('resends every site in full when the manifest\'s files change, not when only its object does', () => {
    const { hub, member, setManifest } = world();
    const a = member('a');
    const x = member('x', OTHER);
    a.have(1, 2);
    x.have(2);
    hub.flush();
    a.sink.take();
    x.sink.take();
    // A co-signed (new object, same files) manifest: nothing to resend.
    setManifest(published(1, [1, 2, 3]));
    hub.flush();
    expect(a.sink.take()).toEqual([]);
    setManifest(published(2, [2, 3]));
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: true, files: { [h(2)]: 1 } }]);
    expect(x.sink.take()).toEqual([{ type: 'availability', full: true, files: { [h(2)]: 1 } }]);
    expect(hub.view(SITE)).toEqual({ manifestVersion: 2, files: { [h(2)]: 1 } });
    // No manifest: nothing is listed.
    setManifest(undefined);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: true, files: {} }]);
    expect(hub.view(SITE)).toEqual({ manifestVersion: 0, files: {} });
  });

  it('counts a site nobody listens in afresh, walking whichever of held hashes and manifest files is smaller', () => {
    const { hub, store } = world({ files: Array.from({ length: 50 }, (_, i) => i + 1) });
    store.addPeer(peer('quiet'));
    store.have(SITE, 'quiet', [h(7), h(200)]);
    expect(hub.view(SITE).files).toEqual({ [h(7)]: 1 });
    store.addPeer(peer('big'));
    store.have(SITE, 'big', Array.from({ length: 80 }, (_, i) => h(i + 1)));
    const view = hub.view(SITE).files as Record<string, number>;
    expect(Object.keys(view)).toHaveLength(50);
    expect(view[h(7)]).toBe(2);
    expect(view[h(51)]).toBeUndefined();
    expect(Object.getPrototypeOf(view)).toBeNull();
  });

  it('keeps a change made while a flush is sending (a slow session closing) for the next flush', () => {
    const { hub, member, store } = world();
    const a = member('a');
    const b = member('b');
    b.have(1);
    a.have(2);
    a.sink.take();
    // b's sink closes its session as the delta arrives, the way a slow client is cut.
    b.sink.sendTexts = () => {
      hub.leave(b.sink, SITE);
      hub.changed(SITE, store.peerHashes(SITE, 'b'));
      store.removePeer(SITE, 'b');
    };
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 1, [h(2)]: 1 } }]);
    hub.flush();
    expect(a.sink.take()).toEqual([{ type: 'availability', full: false, files: { [h(1)]: 0 } }]);
  });
});
