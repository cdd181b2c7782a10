/**
 * The ceiling of any service-worker design on this machine: the same raw data channel from A, into
 * a page R whose own tiny SW (scope /relay/, no swarmcdn code) answers R's fetch with a stream fed
 * by that channel. R's page hands each message to its SW (postMessage, transferred, no copy) and
 * the SW enqueues it; nothing is verified, cached, framed or asked for. What is left is the hop
 * every design with a SW pays: page → SW → response body → page. Its ratio against the raw channel
 * into the same page is the most a SW fetch from a peer can reach here; swarmcdn's own ratio sits
 * below it by what verification, the cache and the protocol cost. Functions passed to
 * page.evaluate run in Chromium: they are self-contained.
 */
import type { Browser } from 'playwright-core';
import { openVisitor, withTimeout, type Visitor } from './browser.js';
import { closeRawChannel, measureRawTransfer, openRawChannel, sendRaw, sendStored, type RawRun } from './raw-channel.js';
import './page-types.js';
import { chromiumCpu, cpuDelta, type CpuByType } from './cpu-meter.js';
import { formatProfiles, startProfiles } from './js-profile.js';

/** The relay's page and its SW script, both under /relay/ (the swarm SW's scope '/' is less specific there). */
export const RELAY_PAGE = '/relay/index.html';
export const RELAY_SW = '/relay/sw.js';
/** The URL the relay SW answers from the channel. */
const RELAY_STREAM = '/relay/stream';

export const RELAY_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ideal SW relay</title><link rel="icon" href="data:,"></head>
<body><p>ideal SW relay: raw channel → this page → its SW → fetch body</p></body></html>
`;

/**
 * The relay SW. A fetch of /relay/stream gets a ReadableStream response at once and tells its page
 * "go"; every ArrayBuffer the page posts is enqueued, and "end" closes the stream.
 */
export const RELAY_SW_SCRIPT = `'use strict';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
let controller;
self.addEventListener('message', (event) => {
  if (!controller) return;
  if (event.data === 'end') { controller.close(); controller = undefined; }
  else if (event.data instanceof ArrayBuffer) controller.enqueue(new Uint8Array(event.data));
});
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname !== '${RELAY_STREAM}') return;
  event.respondWith((async () => {
    const body = new ReadableStream({ start: (c) => { controller = c; } });
    const client = await self.clients.get(event.clientId);
    client.postMessage('go');
    return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
  })());
});
`;

/** Opens visitor R at the relay page and waits until the relay SW controls it; bounded at 20 s. */
export async function openRelayVisitor(browser: Browser, origin: string): Promise<Visitor> {
  const r = await openVisitor(browser, 'R');
  await r.page.goto(origin + RELAY_PAGE, { waitUntil: 'load' });
  await withTimeout(
    r.page.evaluate(async ({ script, scope }) => {
      navigator.serviceWorker.startMessages();
      await navigator.serviceWorker.register(script, { scope });
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
    }, { script: RELAY_SW, scope: '/relay/' }),
    20_000,
    'R: the relay SW taking control',
  );
  return r;
}

/**
 * One relayed transfer of `bytes` over the raw channel already open from A to R
 * (openRawChannel): R's clock from its fetch to the last body byte. A sends with `send`: as in the
 * raw baseline, or its stored chunks (the receiver's "done" ends its side). Bounded at 60 s.
 */
async function measureRelayTransfer(a: Visitor, r: Visitor, bytes: number, send: () => Promise<RawRun>): Promise<RelayRun> {
  // R's page: relay mode, then a fetch that resolves once the SW says "go" (its stream is open).
  await r.page.evaluate(
    ({ expected, url }) => {
      const state = window.__rawBench!;
      state.received = 0;
      state.expected = expected;
      state.relay = true;
      const go = new Promise<void>((resolve) => {
        const onGo = (event: MessageEvent): void => {
          if (event.data !== 'go') return;
          navigator.serviceWorker.removeEventListener('message', onGo);
          resolve();
        };
        navigator.serviceWorker.addEventListener('message', onGo);
      });
      const started = performance.now();
      const body = fetch(url).then(async (response) => {
        const reader = response.body!.getReader();
        let n = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.byteLength;
        }
        return { ms: performance.now() - started, bytes: n };
      });
      window.__relayRun = { go, body };
    },
    { expected: bytes, url: RELAY_STREAM },
  );
  try {
    await withTimeout(r.page.evaluate(() => window.__relayRun!.go), 10_000, 'R: the relay SW answering');
    await send();
    const run = await withTimeout(r.page.evaluate(() => window.__relayRun!.body), 60_000, `${a.name}→R: relayed transfer of ${bytes} bytes`);
    if (run.bytes !== bytes) throw new Error(`ideal relay: R's fetch read ${run.bytes} bytes, expected ${bytes}`);
    return run;
  } finally {
    await r.page.evaluate(() => {
      window.__rawBench!.relay = false;
      delete window.__relayRun;
    });
  }
}

/** One relayed transfer, timed in R's page. */
export interface RelayRun {
  readonly ms: number;
  readonly bytes: number;
}

/** A round of the ceiling: the relay (and the relay served from storage), bracketed by raw transfers into the same page. */
export interface RelayRound {
  readonly raw: readonly [RawRun, RawRun];
  readonly relay: RelayRun;
  /** The same relay with A sending the file's chunks as its SW stored them, each read from IndexedDB. */
  readonly stored: RelayRun | undefined;
  /** This bench's Chromium CPU over the raw run before, over the relay, and over the stored relay (cpu-meter.ts). */
  readonly cpu: { readonly raw: CpuByType; readonly relay: CpuByType; readonly stored: CpuByType | undefined };
}

/** A's stored chunks of the file the relay carries: their keys in order, and where its SW keeps them. */
export interface StoredChunks {
  readonly chunks: readonly string[];
  readonly db: string;
  readonly store: string;
}

/**
 * Opens R, a new raw channel from A to it (its first `bytes` carried untimed, as for B), and runs
 * `repeats` rounds of raw, relay, stored relay (with `stored`), raw. Closes R and the channel whatever happens.
 */
export async function measureIdealRelay(browser: Browser, a: Visitor, origin: string, bytes: number, repeats: number, stored?: StoredChunks): Promise<RelayRound[]> {
  const r = await openRelayVisitor(browser, origin);
  try {
    await openRawChannel(a, r);
    await measureRawTransfer(a, r, bytes);
    const rounds: RelayRound[] = [];
    for (let i = 0; i < repeats; i++) {
      const cpu0 = chromiumCpu();
      const before = await measureRawTransfer(a, r, bytes);
      const cpu1 = chromiumCpu();
      const profile = process.env.BENCH_P2P_PROFILE === '1'
        ? await startProfiles(browser, [{ label: `A's page`, page: a.page, worker: false }, { label: `R's page`, page: r.page, worker: false }, { label: `R's SW`, page: r.page, worker: true }])
        : undefined;
      const relay = await measureRelayTransfer(a, r, bytes, () => sendRaw(a, r.name, bytes));
      const cpu2 = chromiumCpu();
      if (profile) process.stderr.write(`bench:p2p: JS profile of the ceiling relay:\n${formatProfiles(await profile.stop(), bytes / 1e6)}`);
      const fromStore = stored ? await measureRelayTransfer(a, r, bytes, () => sendStored(a, r.name, stored.chunks, stored)) : undefined;
      const cpu3 = chromiumCpu();
      const after = await measureRawTransfer(a, r, bytes);
      rounds.push({ raw: [before, after], relay, stored: fromStore, cpu: { raw: cpuDelta(cpu0, cpu1), relay: cpuDelta(cpu1, cpu2), stored: fromStore ? cpuDelta(cpu2, cpu3) : undefined } });
    }
    return rounds;
  } finally {
    await closeRawChannel(a, r);
    await r.context.close().catch(() => undefined);
  }
}
