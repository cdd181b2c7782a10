/**
 * A hostile signalling stream: raw WebSocket clients with ids the server issued flood a victim
 * page's id with OFFERs (ours, another protocol's, media calls) and with ANSWER and CANDIDATE frames
 * for made-up connection ids. The victim page counts every RTCPeerConnection it builds (an init
 * script wraps the constructor) and exposes peerjs's Peer (an init script catches the object that
 * sets `_lostMessages`). The victim builds no more connections than one sender's offer budget, peerjs
 * keeps no more lost messages than the guard's bound, the offerer of a declined OFFER is told
 * (EXPIRE), and afterwards the victim still fetches a file from an honest holder, byte for byte.
 */
import { expect, it } from '@jest/globals';
import { MAX_HELD_PER_CONNECTION, MAX_HELD_TOTAL, OFFER_BURST, REPLY_BURST } from '../../page-bridge/signal-guard.js';
import { PEER_PROTOCOL_LABEL } from '../../protocol/messages/peer.js';
import { signalledSocket, type SignalledSocket } from '../integration/server-helpers.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

/** Runs in the victim page before any script: counts RTCPeerConnections and keeps every object that sets `_lostMessages` (peerjs's Peer). */
const PROBE_SCRIPT = `(() => {
  const probe = { created: 0, peers: [] };
  window.__swarmcdnProbe = probe;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); probe.created += 1; }
  };
  Object.defineProperty(Object.prototype, '_lostMessages', {
    configurable: true,
    set(value) {
      Object.defineProperty(this, '_lostMessages', { value, writable: true, configurable: true, enumerable: true });
      probe.peers.push(this);
    },
  });
})();`;

interface ProbeView {
  readonly created: number;
  readonly peers: number;
  readonly lostConnections: number;
  readonly lostMessages: number;
  readonly lostMostPerConnection: number;
}

function probe(v: Visitor): Promise<ProbeView> {
  return v.page.evaluate(() => {
    const p = (window as unknown as { __swarmcdnProbe: { created: number; peers: { _lostMessages: Map<string, unknown[]> }[] } }).__swarmcdnProbe;
    const lost = p.peers.at(-1)?._lostMessages ?? new Map<string, unknown[]>();
    const sizes = [...lost.values()].map((l) => l.length);
    return {
      created: p.created,
      peers: p.peers.length,
      lostConnections: lost.size,
      lostMessages: sizes.reduce((a, b) => a + b, 0),
      lostMostPerConnection: Math.max(0, ...sizes),
    };
  });
}

const sdp = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const candidate = (n: number): object => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${40_000 + (n % 20_000)} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

const e2e = useE2e();

it('bounds what a flood of signalling frames makes the victim build and hold; the victim still fetches from an honest peer', async () => {
  const { server } = e2e();
  const attackers: SignalledSocket[] = [];
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    await e2e().seed(a, [PATHS.medium]);

    const v = await e2e().browser.visitor('v');
    await v.context.addInitScript(PROBE_SCRIPT);
    await v.open(server.url);
    await v.ready();
    const victim = await v.peerId();
    const before = await probe(v);
    expect(before.peers).toBe(1);

    for (let i = 0; i < 4; i++) attackers.push(await signalledSocket(server.url));
    const [offerer, stranger, candidates, answers] = attackers as [SignalledSocket, SignalledSocket, SignalledSocket, SignalledSocket];
    const send = (s: SignalledSocket, type: string, payload: object): void => s.ws.send(JSON.stringify({ type, dst: victim, payload }));
    const offer = (s: SignalledSocket, n: number, extra: object): void =>
      send(s, 'OFFER', { type: 'data', connectionId: `dc_flood${n}`, label: PEER_PROTOCOL_LABEL, serialization: 'raw', reliable: true, sdp, ...extra });
    // The server lets one socket send 200 frames at once: each attacker stays under it.
    for (let n = 0; n < 150; n++) offer(offerer, n, {});
    for (let n = 0; n < 50; n++) offer(stranger, n, { label: 'chat' });
    for (let n = 50; n < 100; n++) offer(stranger, n, { type: 'media', connectionId: `mc_flood${n}` });
    for (let n = 100; n < 150; n++) offer(stranger, n, { serialization: 'binary' });
    for (let n = 0; n < 190; n++) send(candidates, 'CANDIDATE', { type: 'data', connectionId: `dc_lost${n}`, candidate: candidate(n) });
    for (let n = 0; n < 100; n++) send(answers, 'ANSWER', { type: 'data', connectionId: `dc_made${n}`, sdp: { type: 'answer', sdp: 'v=0\r\n' } });
    for (let n = 0; n < 90; n++) send(answers, 'CANDIDATE', { type: 'data', connectionId: `dc_few${n % 2}`, candidate: candidate(n) });

    // Loopback delivers the flood within milliseconds; the page has handled it once its counts stop moving.
    let last = '';
    const after = await waitFor(
      async () => {
        await new Promise((r) => setTimeout(r, 500));
        return probe(v);
      },
      (p) => {
        const seen = JSON.stringify(p);
        const still = seen === last;
        last = seen;
        return still;
      },
      { timeoutMs: 15_000, what: 'the victim page to settle after the flood' },
    );

    // Offers of another protocol or a media call build nothing; ours build at most one sender's burst.
    expect(after.created - before.created).toBeLessThanOrEqual(OFFER_BURST);
    expect(after.lostMessages).toBeLessThanOrEqual(MAX_HELD_TOTAL);
    expect(after.lostMostPerConnection).toBeLessThanOrEqual(MAX_HELD_PER_CONNECTION);
    // Declined offerers are told, within the reply budget (a flood is not answered frame for frame).
    const expires = [offerer, stranger].flatMap((s) => s.frames.map((f) => JSON.parse(f) as { type?: string; src?: string })).filter((f) => f.type === 'EXPIRE');
    expect(expires.length).toBeGreaterThan(0);
    expect(expires.length).toBeLessThanOrEqual(REPLY_BURST + 4);
    expect(expires.every((f) => f.src === victim)).toBe(true);

    const result = await v.fetch(PATHS.medium);
    const file = e2e().file(PATHS.medium);
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });
    const sw = await v.sw();
    expect(sw.bytes.peer).toBeGreaterThan(0);
    expect(sw.badChunks).toBe(0);
    expect((await v.stats()).peerId).toBe(victim);
  }).finally(() => {
    for (const s of attackers) s.ws.close();
  });
}, 60_000);
