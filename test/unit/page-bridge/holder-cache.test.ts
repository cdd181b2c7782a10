/** The holder cache: fresh answers are served, stale ones expire, the size is bounded, a dropped peer disappears. */
import { describe, expect, it } from '@jest/globals';
import { HolderCache } from '../../../page-bridge/holder-cache.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';

const file = (n: number): Sha256Sri => `sha256-${String(n).padStart(43, 'A')}=`;

describe('HolderCache', () => {
  it('serves an answer until it is ttl old, then forgets it', () => {
    let now = 1_000;
    const cache = new HolderCache(2_000, 10, () => now);
    cache.set(file(1), ['a', 'b']);
    now += 1_999;
    expect(cache.get(file(1))).toEqual(['a', 'b']);
    now += 1;
    expect(cache.get(file(1))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries files, evicting the oldest answer', () => {
    let now = 0;
    const cache = new HolderCache(60_000, 3, () => now);
    for (let i = 1; i <= 3; i++) cache.set(file(i), [`p${i}`]);
    now += 1;
    cache.set(file(1), ['again']);
    cache.set(file(4), ['p4']);
    expect(cache.size).toBe(3);
    expect(cache.get(file(2))).toBeUndefined();
    expect(cache.get(file(1))).toEqual(['again']);
    expect(cache.get(file(4))).toEqual(['p4']);
  });

  it('forgets a peer in every answer, and everything on clear', () => {
    const cache = new HolderCache(60_000, 10, () => 0);
    cache.set(file(1), ['a', 'b']);
    cache.set(file(2), ['b']);
    cache.forgetPeer('b');
    expect(cache.get(file(1))).toEqual(['a']);
    expect(cache.get(file(2))).toEqual([]);
    cache.clear();
    expect(cache.get(file(1))).toBeUndefined();
  });

  it('stores a copy: the caller mutating its array changes nothing', () => {
    const cache = new HolderCache(60_000, 10, () => 0);
    const peers = ['a'];
    cache.set(file(1), peers);
    peers.push('b');
    expect(cache.get(file(1))).toEqual(['a']);
  });
});
