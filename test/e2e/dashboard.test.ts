/**
 * The live dashboard in real Chromium, on the demo itself (issue 11): the demo served as `npm start`
 * serves it (support/demo-server.ts). An operator opens /swarmcdn/dashboard in one browser context
 * (uPlot draws its canvas, no script error, no CSP violation); visitor A opens the demo in another
 * and waits until it shows its gallery, dataset and panorama; the dashboard's numbers move while it
 * stays open: peers online, origin bytes, the demo's files listed with their holders, new points
 * on the chart. Then visitor B loads the demo and the dashboard's peer bytes go up: B got bytes
 * from A, the demo's point.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { E2eBrowser } from './support/browser.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import type { Visitor } from './support/visitor.js';
import { waitFor, withTimeout } from './support/wait.js';

let demo: DemoServer;
let browser: E2eBrowser;

beforeAll(async () => {
  demo = await startDemoServer();
  // A fresh clone (CI) generates the demo's assets here, once: ~6 s on the 2-core VM.
  if (demo.generated.fresh) console.info(`dashboard e2e: generated the demo assets in ${(demo.generated.ms / 1000).toFixed(1)} s`);
  browser = await E2eBrowser.launch();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
}, 30_000);

/** A number the dashboard shows (its `data-value`); null while it shows none. */
async function shown(page: Page, id: string): Promise<number | null> {
  const value = await page.locator(`#${id}`).getAttribute('data-value', { timeout: 5_000 });
  return value === null || value === '' ? null : Number(value);
}

/** The top files as listed: path → holders. */
async function topFiles(page: Page): Promise<Record<string, number>> {
  return page.$$eval('#top-files li', (items) => Object.fromEntries(items.map((li) => [(li as HTMLElement).dataset.path ?? '', Number((li as HTMLElement).dataset.holders)])));
}

/** Points the uPlot chart was last given (the script writes it on its container), -1 without exactly one chart. */
async function chartPoints(page: Page): Promise<number> {
  return page.evaluate(() => (document.querySelectorAll('#chart .uplot').length === 1 ? Number(document.querySelector('#chart')?.getAttribute('data-points') ?? -1) : -1));
}

/** What the demo page shows once it is done (demo/site/js/assets.js, readout.js). */
interface DemoShown {
  readonly notes: readonly string[];
  /** Gallery images in the page, and those decoded with a size. */
  readonly images: number;
  readonly imagesLoaded: number;
  readonly chartShown: boolean;
  readonly panoramaShown: boolean;
  readonly stationRows: number;
}

/** Opens the demo, waits for its swarm and for every asset it inserts; returns what it shows. */
async function visitDemo(visitor: Visitor): Promise<DemoShown> {
  await visitor.open(demo.url);
  await visitor.ready();
  // assets.js sets data-demo-loaded after the dataset and the panorama (38 MB with the gallery).
  await withTimeout(visitor.page.waitForSelector('body[data-demo-loaded]', { timeout: 25_000 }), 26_000, `${visitor.name}: the demo's assets`);
  return visitor.page.evaluate(() => {
    const images = [...document.querySelectorAll<HTMLImageElement>('#gallery img')];
    return {
      notes: ['gallery-note', 'dataset-note', 'panorama-note'].map((id) => document.getElementById(id)?.textContent ?? ''),
      images: images.length,
      imagesLoaded: images.filter((img) => img.complete && img.naturalWidth > 0).length,
      chartShown: !(document.getElementById('dataset-chart') as HTMLCanvasElement).hidden,
      panoramaShown: !(document.getElementById('panorama') as HTMLCanvasElement).hidden,
      stationRows: (document.getElementById('dataset-table') as HTMLTableElement).tBodies[0]!.rows.length,
    };
  });
}

/** Checks the demo page shows everything it loaded (an asset that failed says "Could not load" in its note). */
function expectDemoDone(page: DemoShown): void {
  expect(page.notes.map((note) => /loaded in \d/.test(note))).toEqual([true, true, true]);
  expect(page.images).toBe(demo.catalog.gallery.length);
  expect(page.imagesLoaded).toBe(page.images);
  expect(page.chartShown && page.panoramaShown).toBe(true);
  expect(page.stationRows).toBeGreaterThan(0);
}

it('renders with uPlot, and its numbers move as visitors load the demo', async () => {
  const operator = await browser.visitor('operator');
  const problems: string[] = [];
  operator.page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  operator.page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  // The page's own record of CSP violations (the server sends the dashboard with a strict policy).
  await operator.context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const violations = (): Promise<string[]> => operator.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

  await operator.page.goto(`${demo.url}/swarmcdn/dashboard`, { waitUntil: 'load' });
  await waitFor(() => shown(operator.page, 'peers-online'), (n) => n === 0, { timeoutMs: 10_000, what: 'the dashboard to show 0 peers online' });
  // uPlot drew its chart: one canvas inside its root, sized to the panel.
  const canvas = operator.page.locator('#chart .uplot canvas');
  await canvas.waitFor({ timeout: 10_000 });
  expect(await canvas.evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(300);
  expect(await shown(operator.page, 'manifest-version')).toBe(demo.manifest.version);
  expect(await topFiles(operator.page)).toEqual({});
  expect(await shown(operator.page, 'bytes-origin')).toBe(0);
  expect(await shown(operator.page, 'bytes-peer')).toBe(0);
  const pointsBefore = await chartPoints(operator.page);
  expect(pointsBefore).toBeGreaterThan(0);

  // Visitor A: alone, so every byte of the demo comes from the origin (through A's SW).
  const a = await browser.visitor('a');
  expectDemoDone(await visitDemo(a));
  await waitFor(() => shown(operator.page, 'peers-online'), (n) => n === 1, { timeoutMs: 10_000, what: 'the dashboard to show visitor A online' });
  expect(await shown(operator.page, 'tracker-sessions')).toBe(1);

  // A's bridge reports its bytes every 5 s: at least the catalog's assets came from the origin.
  const assetBytes = demo.assets.reduce((sum, asset) => sum + asset.bytes, 0);
  await waitFor(() => shown(operator.page, 'bytes-origin'), (n) => n !== null && n >= assetBytes, {
    timeoutMs: 15_000,
    intervalMs: 250,
    what: `the dashboard to show at least the demo's ${assetBytes} asset bytes from the origin`,
  });
  expect(await shown(operator.page, 'bytes-peer')).toBe(0);

  // A becomes a holder of what it loaded: the dashboard lists the demo's files, one holder each.
  const listed = await waitFor(() => topFiles(operator.page), (files) => Object.keys(files).length >= 5 && Object.values(files).every((h) => h === 1), {
    timeoutMs: 20_000,
    intervalMs: 250,
    what: 'the dashboard to list the demo files A holds',
  });
  for (const path of Object.keys(listed)) expect(demo.manifest.files[path]).toBeDefined();
  expect(Object.keys(listed).some((path) => demo.catalog.gallery.some((g) => g.src === path))).toBe(true);
  const pointsAfterA = await chartPoints(operator.page);
  expect(pointsAfterA).toBeGreaterThan(pointsBefore);

  // B comes only once the tracker lists A as the holder of every large asset (the availability view).
  await waitFor(() => demo.holders(), (held) => demo.assets.every((asset) => held[asset.src] === 1), {
    timeoutMs: 20_000,
    intervalMs: 250,
    what: 'the tracker to list A as the holder of every demo asset',
  });

  // Visitor B: the demo's point, B gets bytes from A, and the dashboard shows it.
  const b = await browser.visitor('b');
  expectDemoDone(await visitDemo(b));
  const bPeerBytes = await waitFor(
    () => b.page.evaluate(() => Number(document.getElementById('bytes-peer')?.dataset.bytes ?? 0)),
    (n) => n > 0,
    { timeoutMs: 5_000, what: "B's readout to show bytes from peers" },
  );
  await waitFor(() => shown(operator.page, 'peers-online'), (n) => n === 2, { timeoutMs: 10_000, what: 'the dashboard to show both visitors online' });
  await waitFor(() => shown(operator.page, 'bytes-peer'), (n) => n !== null && n > 0, {
    timeoutMs: 15_000,
    intervalMs: 250,
    what: `the dashboard to show peer bytes (B's readout says ${bPeerBytes})`,
  });
  // What B got from A, B holds too: a file with two holders appears.
  await waitFor(() => topFiles(operator.page), (files) => Object.values(files).some((h) => h === 2), {
    timeoutMs: 15_000,
    intervalMs: 250,
    what: 'the dashboard to list a file held by both visitors',
  });
  expect(await chartPoints(operator.page)).toBeGreaterThan(pointsAfterA);
  expect(await operator.page.locator('#status').textContent()).toMatch(/^live/);
  expect(await violations()).toEqual([]);
  expect(problems).toEqual([]);
}, 120_000);
