/**
 * Page load, navigation start to the end of the load event (Navigation Timing), for the bench's
 * realistic page: through a SW whose cache already holds every asset (the page's own HTTP cache
 * disabled over CDP, so every asset is asked of the SW, not the memory cache), against the origin
 * with no SW (HTTP cache disabled too, so every asset comes from the server), and, for reference, the
 * origin with a warm HTTP cache. Loads interleave, rotating the order, so drift on a shared
 * machine hits every method alike.
 */
import { swarmStats, withTimeout, type Visitor } from './browser.js';

/** The samples, and what the SW's counters say about the warm loads. */
export interface PageLoadResult {
  readonly swMs: readonly number[];
  readonly originMs: readonly number[];
  readonly httpCacheMs: readonly number[];
  /** Over the timed SW loads: bytes the SW took from the origin (0 when truly warm) and from peers. */
  readonly swOriginBytes: number;
  readonly swPeerBytes: number;
  readonly swCacheResponses: number;
}

/** Navigates and returns loadEventEnd − startTime. */
async function timedLoad(visitor: Visitor, url: string): Promise<number> {
  await visitor.page.goto(url, { waitUntil: 'load' });
  return withTimeout(
    visitor.page.evaluate(async () => {
      // loadEventEnd is set just after the load handlers return, which can be after goto resolves.
      for (let i = 0; i < 100; i++) {
        const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        if (entry && entry.loadEventEnd > 0) return entry.loadEventEnd - entry.startTime;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no loadEventEnd in the navigation timing entry');
    }),
    10_000,
    `${visitor.name}: navigation timing`,
  );
}

/** Turns the HTTP cache off for this page's requests (the DevTools "Disable cache" switch). */
export async function disableHttpCache(visitor: Visitor): Promise<void> {
  const cdp = await visitor.context.newCDPSession(visitor.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
}

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Untimed loads at most before the timed ones (each a quiet moment apart, so the SW's copies run). */
const WARM_LOADS = 6;
/** Past the SW's 2 s quiet moment, with room for the copies themselves. */
const WARM_GAP_MS = 3_000;

/**
 * `sw` must have a controlling SW (its cache is warmed here with untimed loads); `origin` blocks
 * SWs with the HTTP cache disabled; `httpCache` blocks SWs and keeps its HTTP cache.
 */
export async function measurePageLoads(sw: Visitor, origin: Visitor, httpCache: Visitor, url: string, loads: number): Promise<PageLoadResult> {
  // Untimed: the first SW load takes the page from the origin, and the SW copies what the origin
  // served into its cache once the site is quiet (2 s without an origin answer, sw/origin-copier.ts).
  // Loads repeat, WARM_GAP_MS apart, until one takes nothing from the origin (at most WARM_LOADS).
  for (let i = 0; i < WARM_LOADS; i++) {
    const before = (await swarmStats(sw)).sw.bytes.origin;
    await timedLoad(sw, url);
    if (i > 0 && (await swarmStats(sw)).sw.bytes.origin === before) break;
    await idle(WARM_GAP_MS);
  }
  await timedLoad(origin, url);
  await timedLoad(httpCache, url);
  const before = (await swarmStats(sw)).sw;
  const methods = [
    { visitor: sw, samples: [] as number[] },
    { visitor: origin, samples: [] as number[] },
    { visitor: httpCache, samples: [] as number[] },
  ];
  for (let i = 0; i < loads; i++) {
    for (let k = 0; k < methods.length; k++) {
      const method = methods[(i + k) % methods.length]!;
      // Each page starts a swarm after load (PeerJS, tracker); let the last one's work settle first.
      await idle(150);
      method.samples.push(await timedLoad(method.visitor, url));
    }
  }
  const after = (await swarmStats(sw)).sw;
  return {
    swMs: methods[0]!.samples,
    originMs: methods[1]!.samples,
    httpCacheMs: methods[2]!.samples,
    swOriginBytes: after.bytes.origin - before.bytes.origin,
    swPeerBytes: after.bytes.peer - before.bytes.peer,
    swCacheResponses: after.responses.cache - before.responses.cache,
  };
}
