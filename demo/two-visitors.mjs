// Checks the running demo the way a person would with two browsers: visitor A opens it and loads
// everything, then visitor B opens it; B's readout must show bytes from peers. Headless Chromium,
// one browser context per visitor, flags from docs/browser-notes.md (WebRTC on loopback).
//   npm start   (in another terminal), then:   node demo/two-visitors.mjs [url] [--screenshots DIR]
// Exit 0 when B got bytes from peers, 1 otherwise. Every wait is bounded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const shotsAt = args.indexOf('--screenshots');
const shots = shotsAt >= 0 ? args.splice(shotsAt, 2)[1] : undefined;
const url = args[0] ?? 'http://127.0.0.1:8080/';
/** 90 s: the whole demo is ~38 MB; loopback moves that in seconds even on two shared cores. */
const LOAD_TIMEOUT_MS = 90_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
  ],
});

/** Opens the demo in a fresh context and waits until every asset is shown; returns the readout. */
async function visit(name) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && console.log(`  [${name} console] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`  [${name} page error] ${e.message}`));
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-demo-loaded]', { timeout: LOAD_TIMEOUT_MS });
  // Two polls of the readout (500 ms each), so it shows the last bytes too.
  await page.waitForTimeout(1200);
  const readout = await page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent ?? '';
    const count = (id) => Number(document.getElementById(id)?.dataset.bytes ?? 0);
    return {
      status: text('swarm-status'),
      peer: count('bytes-peer'), cache: count('bytes-cache'), origin: count('bytes-origin'),
      shown: { peer: text('bytes-peer'), cache: text('bytes-cache'), origin: text('bytes-origin'), uploaded: text('bytes-upload'), peers: text('peer-count') },
      notes: ['gallery-note', 'dataset-note', 'panorama-note'].map(text),
    };
  });
  // The SW's own counters beside the readout: responses by source, and chunks that failed verification.
  const sw = await page.evaluate(() => window.swarmcdn?.swarm?.stats().then((s) => s.sw)).catch(() => undefined);
  console.log(`${name}: loaded in ${((Date.now() - started) / 1000).toFixed(1)} s; ${readout.status}`);
  if (sw) console.log(`  SW responses: ${JSON.stringify(sw.responses)}, bad chunks ${sw.badChunks}, manifest v${sw.manifestVersion}`);
  console.log(`  from peers ${readout.shown.peer}, cache ${readout.shown.cache}, origin ${readout.shown.origin}; uploaded ${readout.shown.uploaded}; peers ${readout.shown.peers}`);
  for (const note of readout.notes) console.log(`  ${note}`);
  if (shots) {
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `visitor-${name}.png`), fullPage: true });
  }
  return { context, page, readout };
}

let ok = false;
try {
  const a = await visit('A');
  const b = await visit('B');
  // A's readout after B: what it uploaded.
  await a.page.waitForTimeout(600);
  console.log(`A afterwards: uploaded ${await a.page.textContent('#bytes-upload')}, peers ${await a.page.textContent('#peer-count')}`);
  ok = b.readout.peer > 0;
  console.log(ok ? `OK: visitor B got ${b.readout.shown.peer} from peers` : 'FAIL: visitor B got no bytes from peers');
} catch (error) {
  console.log(`FAIL: ${error instanceof Error ? error.message : error}`);
} finally {
  await browser.close();
}
process.exit(ok ? 0 : 1);
