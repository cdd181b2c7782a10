/**
 * The bridge in two parts, in real Chromium: bridge.js (the render-blocking tag) carries only the
 * options, the SW registration and the hand-over; the core (PeerJS, the tracker client, the
 * BridgeApi) is an ES module it imports when the swarm starts, without holding up the parser. A
 * page whose core never arrives stays on the origin, and its SW gets every byte from there.
 */
import { expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PATHS } from './support/site.js';
import { checkBody, useE2e } from './support/env.js';
import { waitFor, withTimeout } from './support/wait.js';

const e2e = useE2e();
const CORE = '/swarmcdn/bridge-core.js';

/** A page of the site's origin with the tag in manual mode and nothing that starts the swarm. */
const MANUAL_PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/swarmcdn/bridge.js" data-manual></script></head>
<body><img src="${PATHS.images[0]}"></body></html>`;

/** The core requests a page's Resource Timing lists. */
function coreEntries(): Promise<string[]> {
  return Promise.resolve(
    performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .filter((name) => new URL(name).pathname === '/swarmcdn/bridge-core.js'),
  );
}

it('the tag alone loads only bridge.js; startSwarm imports the core once, and the swarm comes up', async () => {
  const { browser, server } = e2e();
  await e2e().run(async () => {
    const v = await browser.visitor('manual');
    // Beside the site, not in its manifest: the origin serves it as it is.
    await writeFile(join(e2e().site.dir, 'manual.html'), MANUAL_PAGE);
    await v.page.goto(`${server.url}/manual.html`, { waitUntil: 'load', timeout: 15_000 });
    expect(await v.page.evaluate(() => typeof (window as unknown as { swarmcdn?: { startSwarm?: unknown } }).swarmcdn?.startSwarm)).toBe('function');
    // Give a stray import time to show up: none may.
    await v.page.waitForTimeout(500);
    expect(server.requests.count({ visitor: 'manual', path: CORE })).toBe(0);
    expect(await v.page.evaluate(coreEntries)).toEqual([]);

    await v.page.evaluate(() => {
      (window as unknown as { swarmcdn: { startSwarm(o: object): unknown } }).swarmcdn.startSwarm({ iceServers: [], prefetchBytes: 0 });
    });
    await withTimeout(
      v.page.evaluate(() => (window as unknown as { swarmcdn: { swarm: { peerReady: Promise<void> } } }).swarmcdn.swarm.peerReady),
      20_000,
      'manual: swarm.peerReady',
    );
    expect(await v.peerId()).toMatch(/\S/);
    expect(server.requests.count({ visitor: 'manual', path: CORE })).toBe(1);
    const entries = await v.page.evaluate(coreEntries);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/\?v=[0-9a-f]{16}$/);
  });
}, 60_000);

it('a core that does not arrive leaves the page on the origin: chunk requests fail at once, every byte is correct', async () => {
  const { browser, server } = e2e();
  await e2e().run(async () => {
    const v = await browser.visitor('no-core');
    // Before any SW controls this context, the page's own requests are the context's to answer.
    await v.context.route(`**${CORE}*`, (route) => route.fulfill({ status: 503, body: 'down' }));
    await v.open(server.url);
    await waitFor(
      () => Promise.resolve(v.log.some((line) => line.includes('bridge core did not load'))),
      (seen) => seen,
      { timeoutMs: 10_000, what: 'the bridge to say its core did not load' },
    );
    expect(server.requests.count({ visitor: 'no-core', path: CORE })).toBe(0);
    await v.page.waitForFunction(() => Boolean(navigator.serviceWorker.controller), undefined, { timeout: 15_000 });
    const answer = await v.page.evaluate(() =>
      (window as unknown as { swarmcdn: { swarm: { bridge: { getChunk(r: object): Promise<unknown> } } } }).swarmcdn.swarm.bridge.getChunk({
        id: 1,
        file: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        chunk: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        size: 1,
      }),
    );
    expect(answer).toEqual({ ok: false, code: 'PEER_NONE' });
    expect(await v.peerId()).toBeUndefined();
    checkBody(await v.fetch(PATHS.medium), e2e().file(PATHS.medium), 'no-core fetching the medium file');
    const stats = await v.sw();
    expect(stats.bytes.peer).toBe(0);
    expect(stats.bytes.origin).toBeGreaterThanOrEqual(e2e().file(PATHS.medium).size);
  });
}, 60_000);

it('a page no peer can serve imports the core only after its load event', async () => {
  const { browser, server } = e2e();
  await e2e().run(async () => {
    const v = await browser.visitor('after-load');
    await v.open(server.url);
    await v.ready();
    // The second page: the SW controls it and nobody holds anything, so nothing asks for peers while it loads.
    await v.reload();
    const timing = await v.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const core = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/swarmcdn/bridge-core.js');
      return { loadEventStart: nav.loadEventStart, coreStarts: core.map((e) => e.startTime) };
    });
    expect(timing.coreStarts).toHaveLength(1);
    expect(timing.loadEventStart).toBeGreaterThan(0);
    expect(timing.coreStarts[0]).toBeGreaterThanOrEqual(timing.loadEventStart);
    expect(await v.peerId()).toMatch(/\S/);
  });
}, 60_000);
