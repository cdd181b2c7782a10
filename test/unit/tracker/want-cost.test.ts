/**
 * What one `want` costs when a file has 100,000 holders: the session answers from a bounded
 * sample of the holder groups (the asker's network, its region, the whole swarm), so the number of
 * holders it visits stays a small multiple of K however large the swarm is; the answer still puts
 * the asker's own network first, and successive answers rotate through the holders.
 */
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS } from '../../../server/options.js';
import { MemoryTrackerStore } from '../../../server/store/memory-tracker-store.js';
import type { Nearness, PeerRecord } from '../../../server/store/store.js';
import { TrackerSession, type SessionDeps } from '../../../server/tracker/session.js';

const SITE = 'https://a.example';
const H = `sha256-${'A'.repeat(43)}=`;
const HOLDERS = 100_000;

/** The memory store, counting every holder a sample visits (each visit asks `accept`). */
class CountingStore extends MemoryTrackerStore {
  visits = 0;
  override holderSample(site: string, hash: string, near: Nearness, perGroup: number, accept: (peer: PeerRecord) => boolean): PeerRecord[] {
    return super.holderSample(site, hash, near, perGroup, (peer) => {
      this.visits += 1;
      return accept(peer);
    });
  }
}

function asker(store: CountingStore, id: string, networkKey: string): { want: () => Record<string, unknown> } {
  const sent: Record<string, unknown>[] = [];
  const socket = { bufferedAmount: 0, send: (text: string) => void sent.push(JSON.parse(text) as Record<string, unknown>), close: () => undefined };
  const deps: SessionDeps = {
    options: { ...DEFAULTS.tracker, ratePerSecond: 1e6, rateBurst: 1e6 },
    store,
    bytes: { peer: 0, cache: 0, origin: 0 },
    manifestVersion: () => 1,
    rng: Math.random,
    now: Date.now,
    manifestFiles: () => new Map([[H, H]]),
    sessionOf: () => undefined,
  };
  const session = new TrackerSession(socket, networkKey, deps, id);
  const send = (message: unknown): void => {
    const text = JSON.stringify(message);
    session.receive(text.length, false, () => text);
  };
  send({ type: 'join', site: SITE });
  return {
    want: () => {
      send({ type: 'want', hash: H });
      return sent[sent.length - 1]!;
    },
  };
}

describe('want with 100,000 holders', () => {
  it('visits a bounded number of holders per answer, nearest first, and rotates through them', () => {
    const store = new CountingStore();
    for (let i = 0; i < HOLDERS; i++) {
      // Ten holders share the asker's /24; the rest are spread over other networks.
      const networkKey = i % 10_000 === 0 ? 'v4:192.0.2' : `v4:10.${(i >> 8) & 255}.${i & 255}`;
      store.addPeer({ peerId: `p${i}`, site: SITE, networkKey, regionHint: undefined, uploadScore: 0 });
      store.have(SITE, `p${i}`, [H]);
    }
    const k = DEFAULTS.tracker.maxPeersPerAnswer;
    const bound = 2 * Math.max(4 * k, 16);
    const ask = (client: ReturnType<typeof asker>): string[] => {
      const before = store.visits;
      const answer = client.want();
      const visited = store.visits - before;
      // Two groups here (the asker's network, the swarm), at most max(4K, 16) each; a scan would visit 100,000.
      expect(visited).toBeGreaterThan(0);
      expect(visited).toBeLessThanOrEqual(bound);
      expect(answer).toMatchObject({ type: 'peers', holders: HOLDERS });
      const peers = answer.peers as string[];
      expect(peers).toHaveLength(k);
      return peers;
    };
    // An asker in a /24 with ten holders (p0, p10000, …, p90000) gets them first.
    const near = asker(store, 'near', 'v4:192.0.2');
    for (let i = 0; i < 20; i++) for (const p of ask(near)) expect(Number(p.slice(1)) % 10_000).toBe(0);
    // An asker with no neighbours gets the swarm in rotation: far more distinct holders than one fixed sample.
    const far = asker(store, 'far', 'v4:172.16.0');
    const answered = new Set<string>();
    const wants = 200;
    for (let i = 0; i < wants; i++) for (const p of ask(far)) answered.add(p);
    expect(answered.size).toBeGreaterThan(wants * (k - 1));
  });
});
