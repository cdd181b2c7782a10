/** The page → SW messages a SW accepts: settings with defaults for what an older bridge omits, holder counts, prefetch pages. */
import { describe, expect, it } from '@jest/globals';
import { MAX_PREFETCH_PAGES, SW_DEFAULTS, parseHolderCounts, parsePageToSwMessage, parseSwSettings } from '../../../protocol/messages/sw-page.js';

const sri = (c: string): string => `sha256-${c.repeat(43)}=`;

describe('parseSwSettings', () => {
  it('fills what an older bridge does not send with the defaults', () => {
    expect(parseSwSettings({ cacheBytes: 10, stallMs: 100 })).toEqual({ cacheBytes: 10, stallMs: 100, prefetchBytes: SW_DEFAULTS.prefetchBytes, minPeerBytes: SW_DEFAULTS.minPeerBytes, hedgeMs: 0, rateHedge: true });
  });

  it('takes every setting, and refuses a bad one', () => {
    const full = { cacheBytes: 10, stallMs: 100, prefetchBytes: 0, minPeerBytes: 5, hedgeMs: 300, rateHedge: false };
    expect(parseSwSettings(full)).toEqual(full);
    for (const bad of [{ prefetchBytes: -1 }, { minPeerBytes: 1.5 }, { hedgeMs: 60_001 }, { hedgeMs: '5' }, { rateHedge: 'no' }]) {
      expect(parseSwSettings({ ...full, ...bad })).toBeUndefined();
    }
  });
});

describe('parseHolderCounts', () => {
  it('copies valid counts onto a null prototype', () => {
    const counts = parseHolderCounts({ [sri('A')]: 2, [sri('B')]: 0 });
    expect(counts).toEqual({ [sri('A')]: 2, [sri('B')]: 0 });
    expect(Object.getPrototypeOf(counts)).toBeNull();
  });

  it('refuses any bad key or count, and too many entries', () => {
    expect(parseHolderCounts({ notAHash: 1 })).toBeUndefined();
    expect(parseHolderCounts({ [sri('A')]: -1 })).toBeUndefined();
    expect(parseHolderCounts({ [sri('A')]: 1e10 })).toBeUndefined();
    expect(parseHolderCounts(JSON.parse(`{"__proto__": 1}`))).toBeUndefined();
    expect(parseHolderCounts([1])).toBeUndefined();
    expect(parseHolderCounts({ [sri('A')]: 1, [sri('B')]: 1 }, 1)).toBeUndefined();
  });
});

describe('parsePageToSwMessage', () => {
  it('reads availability pushes', () => {
    expect(parsePageToSwMessage({ type: 'swarmcdn/availability', full: true, files: { [sri('A')]: 3 } })).toEqual({ type: 'swarmcdn/availability', full: true, files: { [sri('A')]: 3 } });
    expect(parsePageToSwMessage({ type: 'swarmcdn/availability', full: 'yes', files: {} })).toBeUndefined();
    expect(parsePageToSwMessage({ type: 'swarmcdn/availability', full: false, files: { x: 1 } })).toBeUndefined();
  });

  it('reads prefetch requests: absolute paths, bounded', () => {
    expect(parsePageToSwMessage({ type: 'swarmcdn/prefetch', pages: ['/', '/a.html'] })).toEqual({ type: 'swarmcdn/prefetch', pages: ['/', '/a.html'] });
    expect(parsePageToSwMessage({ type: 'swarmcdn/prefetch', pages: ['a.html'] })).toBeUndefined();
    expect(parsePageToSwMessage({ type: 'swarmcdn/prefetch', pages: [`/${'x'.repeat(5_000)}`] })).toBeUndefined();
    expect(parsePageToSwMessage({ type: 'swarmcdn/prefetch', pages: Array.from({ length: MAX_PREFETCH_PAGES + 1 }, () => '/') })).toBeUndefined();
    expect(parsePageToSwMessage({ type: 'swarmcdn/prefetch', pages: '/' })).toBeUndefined();
  });
});
