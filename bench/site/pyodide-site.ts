/**
 * Site (a): Pyodide's own console page (`console.html` from the `pyodide` package, with its
 * `pyodide.*` files and the Python standard library, about 14 MB). The page loads jQuery and
 * jquery.terminal from jsDelivr; the bench serves the same packages from npm under `/npm/` and
 * rewrites those URLs (the only edit besides the swarm tag). The walk is the console alone; it is
 * ready when the page's own `window.console_ready` promise (Pyodide loaded, terminal up) settles.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyPackage, externalUrls, jsdelivrToLocal, landingPage, packageId, replaceUrls, writeSiteFile, type Rewrite } from './assemble.js';
import type { SiteLayout } from './site-types.js';

/** jsDelivr's default file for the packages console.html names without one. */
const JSDELIVR_DEFAULTS = { jquery: '/dist/jquery.min.js' };

/** Absolute URLs in console.html that a page load never requests (a dynamic import behind a user action). */
const NOT_LOADED = [/^https:\/\/unpkg\.com\/idb-keyval@/];

/** Assembles the site into `dir`. */
export function assemblePyodide(dir: string): SiteLayout {
  copyPackage('pyodide', dir);
  copyPackage('jquery', join(dir, 'npm', 'jquery'));
  copyPackage('jquery.terminal', join(dir, 'npm', 'jquery.terminal'));
  const pagePath = join(dir, 'console.html');
  const original = readFileSync(pagePath, 'utf8');
  const rewrites: Rewrite[] = [];
  const map = new Map<string, string>();
  for (const url of externalUrls(original)) {
    if (!url.startsWith('https://cdn.jsdelivr.net/npm/')) continue;
    const to = jsdelivrToLocal(url, '/npm', JSDELIVR_DEFAULTS);
    map.set(url, to);
    rewrites.push({ from: url, to });
  }
  // pyodide.mjs itself: console.html imports it relative to the page today; a CDN URL would be mapped too.
  for (const m of original.matchAll(/import\(\s*(["'])(https:\/\/[^"']+)\1\s*,?\s*\)/g)) {
    const url = m[2]!;
    if (NOT_LOADED.some((re) => re.test(url))) continue;
    throw new Error(`console.html imports ${url}: map it to a local file`);
  }
  const html = replaceUrls(original, map);
  const left = externalUrls(html).filter((u) => /\.(m?js|css|wasm|zip|json)(\?|$)/.test(u) || u.includes('cdn'));
  if (left.length > 0) throw new Error(`console.html still loads from elsewhere: ${left.join(', ')}`);
  writeFileSync(pagePath, html);
  writeSiteFile(join(dir, 'bench-landing.html'), landingPage('Pyodide console (swarmcdn bench)', '/console.html'));
  return {
    packages: [packageId('pyodide'), packageId('jquery'), packageId('jquery.terminal')],
    landing: '/bench-landing.html',
    walk: ['/console.html'],
    // console.html's own promise: loadPyodide finished, the stdlib imported, the terminal built.
    ready: 'Promise.resolve(window.console_ready).then(() => performance.now())',
    rewrites,
    notes: ['console.html: https://unpkg.com/idb-keyval (mountDirectory only, never on load) left as is'],
  };
}
