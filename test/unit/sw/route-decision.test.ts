/** The routing rule: a request waits for the swarm only where the swarm can win. */
import { describe, expect, it } from '@jest/globals';
import { MIN_PEER_BYTES, decideRoute } from '../../../sw/route-decision.js';

const peersCanWin = { allCached: false, holders: 3, bridgeUp: true, missingBytes: 1_000_000 };

describe('decideRoute', () => {
  it('serves a wholly cached span from the cache, whatever else holds', () => {
    expect(decideRoute({ ...peersCanWin, allCached: true })).toBe('cache');
    expect(decideRoute({ allCached: true, holders: undefined, bridgeUp: false, missingBytes: 0 })).toBe('cache');
  });

  it('goes to peers only with holders, a bridge up and enough bytes missing', () => {
    expect(decideRoute(peersCanWin)).toBe('peers');
    expect(decideRoute({ ...peersCanWin, missingBytes: MIN_PEER_BYTES })).toBe('peers');
  });

  it('goes to the origin at once when any condition fails', () => {
    expect(decideRoute({ ...peersCanWin, holders: 0 })).toBe('origin');
    expect(decideRoute({ ...peersCanWin, holders: undefined })).toBe('origin');
    expect(decideRoute({ ...peersCanWin, bridgeUp: false })).toBe('origin');
    expect(decideRoute({ ...peersCanWin, missingBytes: MIN_PEER_BYTES - 1 })).toBe('origin');
  });

  it('takes the threshold a site set', () => {
    expect(decideRoute({ ...peersCanWin, missingBytes: 10, minPeerBytes: 0 })).toBe('peers');
    expect(decideRoute({ ...peersCanWin, minPeerBytes: 2_000_000 })).toBe('origin');
  });
});
