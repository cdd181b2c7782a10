/**
 * The BridgeApi the SW link lends before the bridge core has loaded: each call waits for the core
 * and goes to its BridgeApi. A call that wants peers now (a chunk, a warm-up) is `urgent`: the
 * core is started for it rather than after the page's load; the others (announce, stats) wait. Without a core (it failed to load, or the swarm stopped) a chunk
 * request fails at once with PEER_NONE and the SW takes the origin; the other calls do nothing.
 * Chunk bytes are marked for transfer here, with the Comlink that exposes this object: the core
 * bundles its own copy of Comlink, whose transfer marks this one cannot see.
 */
import * as Comlink from 'comlink';
import type { BridgeApi, ChunkResult } from '../protocol/messages/sw-page.js';

/** Forwards every BridgeApi call to the api `core` resolves to, once it does. */
export function lazyBridgeApi(core: (urgent: boolean) => Promise<BridgeApi | undefined>): BridgeApi {
  const call = async <T>(use: (api: BridgeApi) => Promise<T>, none: T, urgent = false): Promise<T> => {
    const api = await core(urgent);
    return api ? use(api) : none;
  };
  return {
    async getChunk(request): Promise<ChunkResult> {
      const result = await call((api) => api.getChunk(request), { ok: false, code: 'PEER_NONE' } as ChunkResult, true);
      return result.ok ? Comlink.transfer(result, [result.bytes]) : result;
    },
    cancelChunk: (id) => call((api) => api.cancelChunk(id), undefined),
    reportPeer: (peerId, file, code) => call((api) => api.reportPeer(peerId, file, code), undefined),
    announce: (files) => call((api) => api.announce(files), undefined),
    withdraw: (files) => call((api) => api.withdraw(files), undefined),
    reportStats: (delta) => call((api) => api.reportStats(delta), undefined),
    warm: (files) => call((api) => api.warm(files), undefined, true),
  };
}
