/** The page → SW messages a SW accepts: settings with defaults for what an older bridge omits, holder counts, prefetch pages; and the manifest relay both ways. */
import { describe, expect, it } from '@jest/globals';
import { MAX_RELAYED_ENVELOPE_BYTES } from '../../../protocol/messages/peer-manifest.js';
import { MAX_PREFETCH_PAGES, SW_DEFAULTS, parseHolderCounts, parsePageToSwMessage, parseSwRelayMessage, parseSwSettings, parseSwToPageMessage } from '../../../protocol/messages/sw-page.js';

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

describe('manifest relay messages', () => {
  const PEER = '3f2b8c1e-6d4a-4b7e-9c0d-1a2b3c4d5e6f';
  const bytes = new Uint8Array([123, 125]).buffer;

  it('page → SW: an envelope a peer relayed (a named peer, a non-empty buffer within the cap) and the ask for the SW\'s own', () => {
    expect(parsePageToSwMessage({ type: 'swarmcdn/peer-envelope', peerId: PEER, bytes })).toEqual({ type: 'swarmcdn/peer-envelope', peerId: PEER, bytes });
    expect(parsePageToSwMessage({ type: 'swarmcdn/get-envelope' })).toEqual({ type: 'swarmcdn/get-envelope' });
    expect(parsePageToSwMessage({ type: 'swarmcdn/core-up' })).toEqual({ type: 'swarmcdn/core-up' });
    expect(parsePageToSwMessage({ type: 'swarmcdn/warm', extra: 'ignored' })).toEqual({ type: 'swarmcdn/warm' });
    for (const bad of [
      { peerId: 'not a peer id!', bytes },
      { peerId: PEER, bytes: new Uint8Array([1]) },
      { peerId: PEER, bytes: new ArrayBuffer(0) },
      { peerId: PEER, bytes: new ArrayBuffer(MAX_RELAYED_ENVELOPE_BYTES + 1) },
      { peerId: PEER, bytes: '{}' },
    ]) {
      expect(parsePageToSwMessage({ type: 'swarmcdn/peer-envelope', ...bad })).toBeUndefined();
    }
  });

  it('SW → page: the SW\'s envelope (version ≥ 1, or 0 without bytes: none) and a refused relay (a catalogue code)', () => {
    expect(parseSwRelayMessage({ type: 'swarmcdn/envelope', version: 3, bytes })).toEqual({ type: 'swarmcdn/envelope', version: 3, bytes });
    expect(parseSwRelayMessage({ type: 'swarmcdn/peer-envelope-refused', peerId: PEER, code: 'MANIFEST_SIGNATURE_INVALID' })).toEqual({
      type: 'swarmcdn/peer-envelope-refused',
      peerId: PEER,
      code: 'MANIFEST_SIGNATURE_INVALID',
    });
    expect(parseSwRelayMessage({ type: 'swarmcdn/envelope', version: 0 })).toEqual({ type: 'swarmcdn/envelope', version: 0 });
    for (const bad of [{ version: 0, bytes }, { version: 1.5, bytes }, { version: 3, bytes: new ArrayBuffer(0) }, { version: 3 }, { version: -1 }]) {
      expect(parseSwRelayMessage({ type: 'swarmcdn/envelope', ...bad })).toBeUndefined();
    }
    expect(parseSwRelayMessage({ type: 'swarmcdn/peer-envelope-refused', peerId: PEER, code: 'NO_SUCH_CODE' })).toBeUndefined();
    expect(parseSwRelayMessage({ type: 'swarmcdn/peer-envelope-refused', peerId: 5, code: 'PEER_PROTOCOL' })).toBeUndefined();
    // The page link's parser leaves them to the core (bridge.js does not carry their parsing), and the other way round.
    expect(parseSwToPageMessage({ type: 'swarmcdn/envelope', version: 3, bytes })).toBeUndefined();
    expect(parseSwRelayMessage({ type: 'swarmcdn/hello' })).toBeUndefined();
  });
});
