/** Tab ⇄ tab messages are parsed like everything else that crosses a realm: malformed ones are ignored. */
import { describe, expect, it } from '@jest/globals';
import { parseTabMessage } from '../../../protocol/messages/tabs.js';

const counters = { peerId: 'p1', connections: 2, uploadBytes: 10, servedChunks: 1, droppedPeers: 0, bytesByPeer: { p2: 5 }, upload: { on: false as const, reason: 'save-data' as const } };

describe('parseTabMessage', () => {
  it('takes the four messages', () => {
    expect(parseTabMessage({ type: 'swarmcdn/who-leads' })).toEqual({ type: 'swarmcdn/who-leads' });
    expect(parseTabMessage({ type: 'swarmcdn/leader', peerId: 'p1' })).toEqual({ type: 'swarmcdn/leader', peerId: 'p1' });
    expect(parseTabMessage({ type: 'swarmcdn/leader' })).toEqual({ type: 'swarmcdn/leader', peerId: undefined });
    expect(parseTabMessage({ type: 'swarmcdn/counters?', id: 'r1' })).toEqual({ type: 'swarmcdn/counters?', id: 'r1' });
    expect(parseTabMessage({ type: 'swarmcdn/counters', id: 'r1', counters })).toEqual({ type: 'swarmcdn/counters', id: 'r1', counters });
  });

  it('ignores anything else', () => {
    for (const bad of [
      null,
      'swarmcdn/leader',
      { type: 'swarmcdn/other' },
      { type: 'swarmcdn/leader', peerId: 5 },
      { type: 'swarmcdn/leader', peerId: 'x'.repeat(129) },
      { type: 'swarmcdn/counters?' },
      { type: 'swarmcdn/counters', id: 'r1' },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, connections: -1 } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, uploadBytes: 1.5 } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, bytesByPeer: { p2: 'x' } } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, upload: { on: false } } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, upload: { on: false, reason: 'bored' } } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, upload: undefined } },
      { type: 'swarmcdn/counters', id: 'r1', counters: { ...counters, bytesByPeer: Object.fromEntries(Array.from({ length: 1_025 }, (_, i) => [`p${i}`, 1])) } },
    ]) {
      expect(parseTabMessage(bad)).toBeUndefined();
    }
  });
});
