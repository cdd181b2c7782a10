/**
 * A visitor's pool refills after its peers leave, from peer exchange alone: the tracker answers
 * that visitor nothing.
 *
 * X holds three files. D and E each fetch one that only X holds, so X served them (a verified
 * exchange). A and B fetch the third. V (minPeers 3) takes a chunk of that third file from each of
 * its three holders, X, A and B, asked in turn (getChunk with the others excluded): three open
 * connections, and V never heard of D or E. Then the tracker is made to name no one to V (a test
 * hook on the server's store, in this process: nothing a client can reach), and A and B leave. V,
 * down to one connection, asks X which peers X had a verified exchange with, and connects to D and
 * E: its own socket shows OFFERs to both, after the departure and never before, and its pool is
 * back at three. The other visitors keep minPeers 0, so every new connection is V's doing.
 */
import { expect, it } from '@jest/globals';
import type { PeerRecord } from '../../server/store/store.js';
import { useE2e } from './support/env.js';
import type { Visitor } from './support/visitor.js';
import { withTimeout } from './support/wait.js';

const e2e = useE2e();

/** V's pool target. */
const MIN_PEERS = 3;
const [SHARED, ONLY_D, ONLY_E] = ['/img/photo.png', '/img/tile.png', '/img/stripe.png'] as const;

/** What V's signalling socket sent and received, in order. */
interface SocketTrace {
  readonly offers: { readonly dst: string; readonly seq: number }[];
  readonly peersAnswers: { readonly peers: readonly string[]; readonly seq: number }[];
  seq: number;
}

/** Records the OFFERs the page sends and the tracker's `peers` answers it receives (its only WebSocket is the signalling one). */
function traceSocket(visitor: Visitor): SocketTrace {
  const trace: SocketTrace = { offers: [], peersAnswers: [], seq: 0 };
  const parse = (payload: string | Buffer): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(String(payload));
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  visitor.page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      const frame = parse(payload);
      if (frame?.type === 'OFFER' && typeof frame.dst === 'string') trace.offers.push({ dst: frame.dst, seq: ++trace.seq });
    });
    ws.on('framereceived', ({ payload }) => {
      const frame = parse(payload);
      if (frame?.type === 'peers' && Array.isArray(frame.peers)) trace.peersAnswers.push({ peers: frame.peers as string[], seq: ++trace.seq });
    });
  });
  return trace;
}

/** A visitor that fetched `paths` through its SW and got at least `fromPeers` bytes of them from peers. */
async function fetched(visitor: Visitor, paths: readonly string[], fromPeers: number): Promise<void> {
  for (const path of paths) {
    const result = await visitor.fetch(path);
    expect({ path, status: result.status, sha256: result.sha256 }).toEqual({ path, status: 200, sha256: e2e().file(path).sha256 });
  }
  await visitor.waitForStats((s) => (s.sw?.bytes.peer ?? 0) >= fromPeers, `at least ${fromPeers} bytes from peers`, 15_000);
}

it('after its peers leave, a visitor refills its pool to minPeers from peer exchange, with the tracker naming it no one', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const x = await e2e().visitor('x', { minPeers: 0 });
    await e2e().seed(x, [SHARED, ONLY_D, ONLY_E]);
    // D and E each take a file only X holds: X serves them, and so vouches for them.
    const d = await e2e().visitor('d', { minPeers: 0 });
    await fetched(d, [ONLY_D], e2e().file(ONLY_D).size);
    const e = await e2e().visitor('e', { minPeers: 0 });
    await fetched(e, [ONLY_E], e2e().file(ONLY_E).size);
    const a = await e2e().visitor('a', { minPeers: 0 });
    await e2e().seed(a, [SHARED]);
    const b = await e2e().visitor('b', { minPeers: 0 });
    await e2e().seed(b, [SHARED]);
    const ids = { x: await x.peerId(), a: await a.peerId(), b: await b.peerId(), d: await d.peerId(), e: await e.peerId() };

    const v = await e2e().browser.visitor('v');
    const trace = traceSocket(v);
    await v.open(server.url, { minPeers: MIN_PEERS });
    await v.ready();
    const vId = await v.peerId();

    // V takes one chunk of the shared file from each of its holders in turn: three connections.
    const entry = await site.entry(SHARED);
    const chunkSize = Math.min(entry.size, (await site.manifest()).chunkSize);
    const servedBy: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await withTimeout(
        v.page.evaluate(
          async (request) => {
            const answer = await (window as unknown as { swarmcdn: { swarm: { bridge: { getChunk(r: unknown): Promise<{ ok: boolean; peerId?: string; code?: string }> } } } }).swarmcdn.swarm.bridge.getChunk(request);
            return { ok: answer.ok, peerId: answer.peerId ?? null, code: answer.code ?? null };
          },
          { id: 900 + i, file: entry.integrity, chunk: entry.chunks[0]!, size: chunkSize, exclude: [...servedBy] },
        ),
        20_000,
        `v: a chunk of ${SHARED} from a holder other than ${JSON.stringify(servedBy)}`,
      );
      expect(result).toMatchObject({ ok: true });
      servedBy.push(result.peerId!);
    }
    expect(servedBy.sort()).toEqual([ids.x, ids.a, ids.b].sort());
    await v.waitForStats((s) => s.connections === MIN_PEERS, `${MIN_PEERS} connections`, 10_000);

    // From now on the tracker names no one to V.
    const store = server.app.swarmcdn.store.tracker;
    const holderSample = store.holderSample;
    store.holderSample = function (this: typeof store, site, hash, near, perGroup, accept): PeerRecord[] {
      return (near as Partial<PeerRecord>).peerId === vId ? [] : holderSample.call(this, site, hash, near, perGroup, accept);
    };
    try {
      const refusedFrom = ++trace.seq;
      await a.close();
      await b.close();

      // D and E each come to hold a connection from V (they had X alone, and only V dials anyone). V's
      // count alone cannot tell: it may read three while V has not yet seen B's channel close.
      await d.waitForStats((s) => Number(s.connections) >= 2, 'd to hold its connection from v', 30_000);
      await e.waitForStats((s) => Number(s.connections) >= 2, 'e to hold its connection from v', 30_000);
      const refilled = await v.waitForStats((s) => Number(s.connections) >= MIN_PEERS, `v's pool back at ${MIN_PEERS} after A and B left`, 10_000);
      const offersAfter = trace.offers.filter((o) => o.seq > refusedFrom).map((o) => o.dst);
      const offersBefore = trace.offers.filter((o) => o.seq < refusedFrom).map((o) => o.dst);
      expect({ dAfter: offersAfter.includes(ids.d), eAfter: offersAfter.includes(ids.e) }).toEqual({ dAfter: true, eAfter: true });
      expect(offersBefore.filter((id) => id === ids.d || id === ids.e)).toEqual([]);

      // The tracker really names V no one: a chunk of a file V never asked about (no cached answer), which X and D hold and V is connected to both, finds no holder.
      const onlyD = await site.entry(ONLY_D);
      const none = await withTimeout(
        v.page.evaluate(
          (request) => (window as unknown as { swarmcdn: { swarm: { bridge: { getChunk(r: unknown): Promise<{ ok: boolean; code?: string }> } } } }).swarmcdn.swarm.bridge.getChunk(request).then((r) => ({ ok: r.ok, code: r.code ?? null })),
          { id: 990, file: onlyD.integrity, chunk: onlyD.chunks[0]!, size: Math.min(onlyD.size, chunkSize) },
        ),
        10_000,
        'v: a chunk with the tracker refusing',
      );
      expect(none).toEqual({ ok: false, code: 'PEER_NONE' });
      const answersAfter = trace.peersAnswers.filter((p) => p.seq > refusedFrom);
      expect(answersAfter.length).toBeGreaterThanOrEqual(1);
      expect(answersAfter.every((p) => p.peers.length === 0)).toBe(true);
      // Only up to minPeers: X, D and E (nobody else dials V).
      expect({ refilled: refilled.connections, now: (await v.stats()).connections }).toEqual({ refilled: MIN_PEERS, now: MIN_PEERS });
    } finally {
      store.holderSample = holderSample;
    }
  });
}, 180_000);
