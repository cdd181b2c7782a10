/**
 * The bridge tells the tracker client how many bytes each peer delivered (whole chunks only), so
 * the page's next `stats` can vouch for its senders: the tracker ranks uploaders by that, never
 * by their own word.
 */
import { expect, it } from '@jest/globals';
import { createBridgeApi, type BridgePool, type BridgeTracker } from '../../../page-bridge/bridge-api.js';
import type { RequestResult } from '../../../page-bridge/peer-session.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';

const FILE: Sha256Sri = `sha256-${'F'.repeat(43)}=`;
const CHUNK: Sha256Sri = `sha256-${'C'.repeat(43)}=`;

it('counts the bytes of each chunk a peer delivered, under that peer, and nothing for a peer that failed', async () => {
  const answers: Record<string, RequestResult> = {
    busy: { ok: false, code: 'PEER_BUSY' },
    good: { ok: true, bytes: new Uint8Array(1000).buffer },
  };
  const pool: BridgePool = {
    peerId: 'me',
    isDropped: () => false,
    hasOpenSession: () => false,
    connect: async (peerId) => ({ ok: true, session: { request: async () => answers[peerId]!, answerEnded: () => new Promise((r) => setTimeout(r, 1)) } }),
    drop: () => undefined,
  };
  const received: [string, number][] = [];
  const tracker: BridgeTracker = {
    want: async () => ['busy', 'good'],
    have: () => undefined,
    lost: () => undefined,
    report: () => undefined,
    forgetPeer: () => undefined,
    addStats: () => undefined,
    received: (peerId, bytes) => void received.push([peerId, bytes]),
  };
  const bridge = createBridgeApi(pool, tracker);
  const first = await bridge.api.getChunk({ id: 1, file: FILE, chunk: CHUNK, size: 1000 });
  const second = await bridge.api.getChunk({ id: 2, file: FILE, chunk: CHUNK, size: 1000 });
  expect([first.ok, second.ok]).toEqual([true, true]);
  expect(received).toEqual([
    ['good', 1000],
    ['good', 1000],
  ]);
});
