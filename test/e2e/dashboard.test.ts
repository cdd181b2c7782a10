/**
 * The live dashboard in real Chromium: an operator opens /swarmcdn/dashboard in one browser
 * context (uPlot draws its canvas, no script error, no CSP violation), then a visitor loads the
 * fixture site in another; the dashboard's numbers move while it stays open: peers online goes
 * up, the files the visitor came to hold are listed by holders, the bytes the visitor's page
 * reports appear, and the chart gets new points.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { buildServer } from '../../server/build-server.js';
import { E2eBrowser } from './support/browser.js';
import { PATHS, makeSite, type E2eSite } from './support/site.js';
import { waitFor } from './support/wait.js';

let site: E2eSite;
let app: FastifyInstance;
let url: string;
let browser: E2eBrowser;

beforeAll(async () => {
  site = await makeSite();
  app = buildServer({ siteDir: site.dir, publicKeys: [await readFile(site.keys.pub, 'utf8')], dashboard: true, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server has no address');
  url = `http://127.0.0.1:${address.port}`;
  browser = await E2eBrowser.launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await site?.cleanup();
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

it('renders with uPlot, and its numbers move while a visitor loads the site', async () => {
  const operator = await browser.visitor('operator');
  const problems: string[] = [];
  operator.page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  operator.page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  await operator.page.goto(`${url}/swarmcdn/dashboard`, { waitUntil: 'load' });
  await waitFor(() => shown(operator.page, 'peers-online'), (n) => n === 0, { timeoutMs: 10_000, what: 'the dashboard to show 0 peers online' });
  // uPlot drew its chart: one canvas inside its root, sized to the panel.
  const canvas = operator.page.locator('#chart .uplot canvas');
  await canvas.waitFor({ timeout: 10_000 });
  expect(await canvas.evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(300);
  expect(await shown(operator.page, 'manifest-version')).toBe(1);
  expect(await topFiles(operator.page)).toEqual({});
  const pointsBefore = await chartPoints(operator.page);
  expect(pointsBefore).toBeGreaterThan(0);

  const visitor = await browser.visitor('a');
  await visitor.open(url);
  await visitor.ready();
  await waitFor(() => shown(operator.page, 'peers-online'), (n) => n === 1, { timeoutMs: 10_000, what: 'the dashboard to show the visitor online' });
  expect(await shown(operator.page, 'tracker-sessions')).toBe(1);

  // The visitor loads two images through its SW: it becomes their holder, and the dashboard lists them.
  const held = [PATHS.images[2], PATHS.images[3]];
  for (const path of held) expect((await visitor.fetch(path)).status).toBe(200);
  const listed = await waitFor(() => topFiles(operator.page), (files) => held.every((p) => files[p] === 1), {
    timeoutMs: 20_000,
    intervalMs: 250,
    what: 'the dashboard to list both images with one holder',
  });
  expect(Object.values(listed).every((holders) => holders >= 1)).toBe(true);

  // The page reports its bytes (the bridge's periodic stats): the origin served what it loaded.
  await waitFor(() => shown(operator.page, 'bytes-origin'), (n) => n !== null && n > 0, { timeoutMs: 20_000, intervalMs: 250, what: 'reported origin bytes on the dashboard' });
  expect(await chartPoints(operator.page)).toBeGreaterThan(pointsBefore);
  expect(await operator.page.locator('#status').textContent()).toMatch(/^live/);
  expect(problems).toEqual([]);
}, 90_000);
