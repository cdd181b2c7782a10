/** The bridge's warm-up: the nearest holder of each of the first files, at most two new connections, none to a peer already connected or dropped. */
import { describe, expect, it } from '@jest/globals';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { WARM_CONNECTIONS, WARM_FILES, warmHolders, type WarmDeps } from '../../../page-bridge/warm-up.js';

const sri = (n: number): Sha256Sri => `sha256-${String(n).padStart(43, 'A')}=`;

function deps(holders: Record<number, string[]>, open: string[] = [], dropped: string[] = []) {
  const asked: Sha256Sri[] = [];
  const connected: string[] = [];
  const d: WarmDeps = {
    want: async (file) => {
      asked.push(file);
      const n = Number(/A*(\d+)=$/.exec(file)![1]);
      return holders[n] ?? [];
    },
    hasOpenSession: (p) => open.includes(p),
    isDropped: (p) => dropped.includes(p),
    connect: async (p) => void connected.push(p),
  };
  return { d, asked, connected };
}

describe('warmHolders', () => {
  it('connects to the nearest holder of each file until two connections are under way', async () => {
    const { d, connected, asked } = deps({ 1: ['x', 'y'], 2: ['x'], 3: ['z'], 4: ['w'], 5: ['v'] });
    expect(await warmHolders([1, 2, 3, 4, 5].map(sri), d)).toEqual(['x', 'z']);
    expect(connected).toEqual(['x', 'z']);
    expect(asked).toHaveLength(WARM_FILES);
    expect(WARM_CONNECTIONS).toBe(2);
  });

  it('needs no connection for a file a connected peer holds, skips dropped peers, and opens none when nobody holds anything', async () => {
    const a = deps({ 1: ['open'], 2: ['bad', 'good'] }, ['open'], ['bad']);
    expect(await warmHolders([sri(1), sri(2)], a.d)).toEqual(['good']);
    const b = deps({});
    expect(await warmHolders([sri(1)], b.d)).toEqual([]);
    expect(b.connected).toEqual([]);
  });
});
