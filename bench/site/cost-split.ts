/**
 * `npm run bench:site-split`: where SB Admin 2's loopback page-load cost goes, each variant in its
 * own browser context against the same server in one run (medians over ROUNDS rounds of the walk,
 * each page's loadEventEnd divided by the same page's without anything of ours):
 *   N  no tag, no SW            the site as it is
 *   M  bridge.js, not started   the script tag alone (data-manual), no SW ever registered
 *   S  our SW controls, no tag  the SW in front of every request, no bridge on the page
 *   X  our SW + tag, not started
 *   A  our SW + tag with async  the tag as `<script async>`
 *   W  our SW + tag             the product as a site adds it
 * Variants are written beside each walk page (`-t`, `-m`, `-a`); the landing page with the tag
 * installs the SW where a variant needs it. ROUNDS (default 5) sets the rounds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { generateKeyPair } from '../../protocol/index.js';
import { buildServer } from '../../server/build-server.js';
import { CHROMIUM_ARGS } from '../p2p/browser.js';
import { injectTag, prepareSite, swarmTag } from './sites.js';

interface Variant {
  readonly name: string;
  /** Suffix of the landing page to install the SW from ('' = no SW). */
  readonly land: '' | '-t';
  readonly suffix: '' | '-t' | '-m' | '-a';
}
const VARIANTS: readonly Variant[] = [
  { name: 'N  no tag, no SW', land: '', suffix: '' },
  { name: 'M  bridge.js, not started, no SW', land: '', suffix: '-m' },
  { name: 'S  our SW controls, no tag', land: '-t', suffix: '' },
  { name: 'X  our SW + tag, not started', land: '-t', suffix: '-m' },
  { name: 'A  our SW + async tag', land: '-t', suffix: '-a' },
  { name: 'W  our SW + tag (the product)', land: '-t', suffix: '-t' },
];
const TAGS = {
  '-t': swarmTag(),
  '-m': '<script src="/swarmcdn/bridge.js" data-manual></script>',
  '-a': swarmTag().replace('<script ', '<script async '),
} as const;

const withSuffix = (path: string, suffix: string): string => path.replace(/\.html$/, `${suffix}.html`);
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function swarmReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { swarmcdn?: { swarm?: unknown } }).swarmcdn?.swarm !== undefined, null, { timeout: 20_000 });
  await page.evaluate(() => (window as unknown as { swarmcdn: { swarm: { ready: Promise<void> } } }).swarmcdn.swarm.ready);
}

const site = await prepareSite('sb-admin-2');
try {
  const { privatePem } = await generateKeyPair();
  const keyFile = join(site.workDir, 'swarmcdn.key');
  writeFileSync(keyFile, privatePem);
  for (const path of [site.landing, ...site.walk]) {
    const file = join(site.dir, path.slice(1));
    const html = readFileSync(file, 'utf8');
    for (const [suffix, tag] of Object.entries(TAGS)) writeFileSync(withSuffix(file, suffix), injectTag(html, tag));
  }
  const app = buildServer({ siteDir: site.dir, signingKeyFile: keyFile, manifestFile: join(site.workDir, 'manifest.json'), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const times = new Map<string, number[]>();
  const rounds = Number(process.env.ROUNDS ?? 5);
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(base + withSuffix(site.landing, variant.land), { waitUntil: 'load' });
      if (variant.land) await swarmReady(page);
      for (const path of site.walk) {
        await page.goto(base + withSuffix(path, variant.suffix), { waitUntil: 'load' });
        const loaded = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd);
        times.set(variant.name, [...(times.get(variant.name) ?? []), loaded]);
        await page.waitForTimeout(300);
      }
      await context.close();
    }
  }
  const plain = times.get(VARIANTS[0]!.name)!;
  console.log(`bench:site-split: sb-admin-2, ${rounds} rounds of the walk of ${site.walk.length}, loopback`);
  for (const variant of VARIANTS) {
    const own = times.get(variant.name)!;
    const ratio = median(own.map((t, i) => t / plain[i]!));
    console.log(`${variant.name.padEnd(34)} median page ${median(own).toFixed(0).padStart(4)} ms   median ratio ${ratio.toFixed(2)}×`);
  }
  await browser.close();
  await app.close();
} finally {
  site.cleanup();
}
