/** The SW's counters: bytes and responses by source, bad chunks, manifest refusals (SwStats). */
import type { ErrorCode } from '../protocol/index.js';
import type { ByteCounts, SwStats } from '../protocol/messages/sw-page.js';
import { SWARMCDN_PREFIX } from '../protocol/wire.js';

/** Where bytes came from. */
export type ByteSource = 'peer' | 'cache' | 'origin';

/** Why a response that went to peers handed the rest of its span to the origin (SwStats.handovers). */
export type HandoverReason = 'firstByte' | 'rate' | 'peerFailed';

/** Where a request was sent when it arrived (sw/route-decision.ts). */
export type RouteChoice = 'cache' | 'peers' | 'origin';

/** Counts what the SW served; hands out byte deltas for the tracker's stats. */
export class SwStatsCounter {
  private readonly bytes = { peer: 0, cache: 0, origin: 0 };
  private readonly responses = { peer: 0, cache: 0, origin: 0 };
  private readonly refusals: Partial<Record<ErrorCode, number>> = {};
  private readonly unreported = { peer: 0, cache: 0, origin: 0 };
  private badChunks = 0;
  private readonly routes = { cache: 0, peers: 0, origin: 0 };
  private readonly swarmWait = { requests: 0, ms: 0 };
  private readonly originDown = { rescued: 0, failed: 0 };
  private readonly prefetch = { files: 0, bytes: 0, planned: 0 };
  private readonly fetchEvents = { navigate: 0, swarmcdn: 0, other: 0 };
  private readonly handovers = { firstByte: 0, rate: 0, peerFailed: 0 };

  /** Real bytes received from a source (never a length someone claimed). */
  addBytes(source: ByteSource, n: number): void {
    this.bytes[source] += n;
    this.unreported[source] += n;
  }

  /** One manifest-path request answered, by where its body came from. */
  addResponse(source: ByteSource): void {
    this.responses[source] += 1;
  }

  /** A request routed on arrival. */
  addRoute(route: RouteChoice): void {
    this.routes[route] += 1;
  }

  /** A request waited `ms` on the swarm (for a bridge, for peers' first bytes, or for peers while the origin was down). */
  addSwarmWait(ms: number): void {
    this.swarmWait.requests += 1;
    this.swarmWait.ms += Math.max(0, Math.round(ms));
  }

  /** The origin failed a manifest file; peers served it (`rescued`) or could not. */
  addOriginDown(rescued: boolean): void {
    this.originDown[rescued ? 'rescued' : 'failed'] += 1;
  }

  /** A prefetch planned this many files (they add to `prefetch.planned`). */
  addPrefetchPlan(files: number): void {
    this.prefetch.planned += files;
  }

  /** A prefetch of one file ended: the bytes it fetched from peers, and whether it left the file complete and verified in the cache. */
  addPrefetch(bytes: number, complete: boolean): void {
    if (complete) this.prefetch.files += 1;
    this.prefetch.bytes += bytes;
  }

  /** A fetch event reached this SW (navigations and swarmcdn's own routes should not, where static routing exists). */
  addFetchEvent(request: Pick<Request, 'mode' | 'url'>): void {
    const kind = request.mode === 'navigate' ? 'navigate' : new URL(request.url).pathname.startsWith(SWARMCDN_PREFIX) ? 'swarmcdn' : 'other';
    this.fetchEvents[kind] += 1;
  }

  /** A response that went to peers handed the rest of its span to the origin. */
  addHandover(reason: HandoverReason): void {
    this.handovers[reason] += 1;
  }

  /** A peer chunk that failed verification. */
  addBadChunk(): void {
    this.badChunks += 1;
  }

  /** A fetched manifest that was refused. */
  addRefusal(code: ErrorCode): void {
    this.refusals[code] = (this.refusals[code] ?? 0) + 1;
  }

  /** A copy for a page, with the manifest version now served with (0: none), the availability view's size and the cache's. */
  snapshot(manifestVersion: number, availability: SwStats['availability'] = { known: false, files: 0 }, held: SwStats['held'] = { files: 0, copying: 0 }): SwStats {
    return {
      bytes: { ...this.bytes, upload: 0 },
      responses: { ...this.responses },
      badChunks: this.badChunks,
      manifestVersion,
      manifestRefusals: { ...this.refusals },
      routes: { ...this.routes },
      swarmWait: { ...this.swarmWait },
      originDown: { ...this.originDown },
      prefetch: { ...this.prefetch },
      availability: { ...availability },
      fetchEvents: { ...this.fetchEvents },
      handovers: { ...this.handovers },
      held: { ...held },
    };
  }

  /** Bytes since the last delta, or undefined when there are none; the counter resets. */
  takeDelta(): ByteCounts | undefined {
    const { peer, cache, origin } = this.unreported;
    if (peer + cache + origin === 0) return undefined;
    this.unreported.peer = this.unreported.cache = this.unreported.origin = 0;
    return { peer, cache, origin, upload: 0 };
  }

  /** Puts back a delta that could not be delivered, so it goes with the next one. */
  restoreDelta(delta: ByteCounts): void {
    this.unreported.peer += delta.peer;
    this.unreported.cache += delta.cache;
    this.unreported.origin += delta.origin;
  }
}
