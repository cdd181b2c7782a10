/**
 * Chromium for the bench: launched with the flags WebRTC needs on loopback (docs/browser-notes.md),
 * one browser context per visitor, and the in-page calls every measurement shares: waiting for
 * the swarm, reading its stats. Every wait is bounded.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PageSwarmStats } from './page-types.js';

/** Launch flags: docs/browser-notes.md says why each is there. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Without it: zero ICE candidates on loopback.
  '--allow-loopback-in-peer-connection',
  // Lets WebRTC list local addresses instead of mDNS names (no multicast here).
  '--use-fake-ui-for-media-stream',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
];

/** The P2P path is not there (no bridge, no swarm, not ready): the bench cannot measure it. */
export class P2pPathMissing extends Error {
  override readonly name = 'P2pPathMissing';
}

/** One visitor: a browser context (its own SW, cache and IndexedDB) and its page. */
export interface Visitor {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
}

/** Rejects after `ms` with a message naming what took too long; page.evaluate has no timeout of its own. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Launches Debian's Chromium headless (CHROMIUM overrides the path). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A fresh context and page; console errors are echoed when BENCH_P2P_VERBOSE=1. */
export async function openVisitor(browser: Browser, name: string, options: { blockServiceWorkers?: boolean } = {}): Promise<Visitor> {
  const context = await browser.newContext({ serviceWorkers: options.blockServiceWorkers ? 'block' : 'allow' });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = await context.newPage();
  if (process.env.BENCH_P2P_VERBOSE === '1') {
    page.on('console', (m) => process.stderr.write(`  [${name} ${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`  [${name} page error] ${e.message}\n`));
  }
  return { name, context, page };
}

/**
 * Waits for `window.swarmcdn.swarm.ready` (SW controls the page, bridge accepted, PeerJS open,
 * tracker joined) and returns the peer id; P2pPathMissing says precisely what was missing.
 */
export async function waitForSwarm(visitor: Visitor, timeoutMs: number): Promise<string> {
  const answer = await withTimeout(
    visitor.page.evaluate(async (ms: number) => {
      const deadline = performance.now() + ms;
      const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
      const controlled = () => `SW controller: ${navigator.serviceWorker?.controller ? 'yes' : 'no'}`;
      // The bridge script is synchronous: once the page has loaded, a missing swarm will not appear. 2 s of grace anyway.
      const graceEnd = Math.min(deadline, performance.now() + 2000);
      while (!window.swarmcdn?.swarm && performance.now() < graceEnd) await sleep(100);
      const api = window.swarmcdn;
      if (!api?.swarm) {
        const found = api ? `window.swarmcdn has only [${Object.keys(api).join(', ')}]` : 'window.swarmcdn is undefined';
        return { ok: false as const, why: `${found} after the page loaded (no auto-started Swarm); ${controlled()}` };
      }
      const swarm = api.swarm;
      const outcome = await Promise.race([
        Promise.resolve(swarm.ready).then(
          () => 'ready',
          (e: unknown) => `rejected: ${e instanceof Error ? `${e.name}: ${e.message}` : JSON.stringify(e)}${(e as { code?: string })?.code ? ` [${(e as { code?: string }).code}]` : ''}`,
        ),
        sleep(Math.max(0, deadline - performance.now())).then(() => 'timeout'),
      ]);
      if (outcome !== 'ready') {
        const state = outcome === 'timeout' ? `did not settle within ${ms} ms` : outcome;
        // The bridge's diagnostics, where it has them: peer and tracker side apart from the SW side.
        const peerReady = (swarm as { peerReady?: Promise<void> }).peerReady;
        const peerSide = peerReady ? await Promise.race([peerReady.then(() => 'resolved'), sleep(0).then(() => 'pending')]) : 'absent';
        const sw = await Promise.race([swarm.stats().then((s) => (s.sw ? `manifest v${s.sw.manifestVersion}` : 'none'), () => 'stats() failed'), sleep(2000).then(() => 'no answer')]);
        return { ok: false as const, why: `swarm.ready ${state}; ${controlled()}; peerId ${String(swarm.peerId)}; swarm.peerReady ${peerSide}; SW stats: ${sw}` };
      }
      if (!navigator.serviceWorker?.controller) return { ok: false as const, why: 'swarm.ready resolved but no service worker controls the page' };
      return { ok: true as const, peerId: String(swarm.peerId) };
    }, timeoutMs),
    timeoutMs + 5_000,
    `${visitor.name}: waiting for swarm.ready`,
  );
  if (!answer.ok) throw new P2pPathMissing(`${visitor.name}: ${answer.why}`);
  return answer.peerId;
}

/** `swarm.stats()` in the visitor's page; P2pPathMissing when the SW reports nothing. */
export async function swarmStats(visitor: Visitor): Promise<PageSwarmStats & { sw: NonNullable<PageSwarmStats['sw']> }> {
  const stats = await withTimeout(
    visitor.page.evaluate(() => window.swarmcdn!.swarm!.stats()),
    10_000,
    `${visitor.name}: swarm.stats()`,
  );
  if (!stats?.sw) throw new P2pPathMissing(`${visitor.name}: swarm.stats() has no SW counters (sw: ${JSON.stringify(stats?.sw)})`);
  return stats as PageSwarmStats & { sw: NonNullable<PageSwarmStats['sw']> };
}

/** Opens the visitor's page at `url` and waits for its swarm; resolves to the peer id. */
export async function joinSwarm(visitor: Visitor, url: string, timeoutMs: number): Promise<string> {
  await visitor.page.goto(url, { waitUntil: 'load' });
  return waitForSwarm(visitor, timeoutMs);
}
