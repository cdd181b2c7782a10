/**
 * A small multi-page site shaped like real ones: every page starts its `<head>` with the plain
 * script tag (`<script src="/swarmcdn/bridge.js" data-ice-servers="[]">`, default options), then
 * asks for a stylesheet (with an @import, a font and a background image through url()), a module
 * script (importing another module) and images, before any script of ours has run. A landing page
 * links to the walk's pages. The manifest is built and signed with the real CLI, so it carries the
 * per-page references prefetch uses.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../../protocol/index.js';
import { TempDirs, assertCliBuilt, bytesOf, keygen, swarmcdnJson, writeTree } from '../../support/cli.js';
import { makePng } from './png.js';
import { readSiteManifest, siteEntry, type E2eSite, type SiteFile } from './site.js';

/** The plain tag a site adds: default options but host-only ICE (the test machine has no STUN). */
const TAG = '<script src="/swarmcdn/bridge.js" data-ice-servers="[]"></script>';

function page(title: string, body: string): string {
  return `<!doctype html>
<html>
<head>${TAG}
<meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/css/site.css">
<script type="module" src="/js/app.js"></script>
</head>
<body><h1 class="brand">${title}</h1>
${body}
<nav><a href="/">home</a> <a href="/a.html">a</a> <a href="/b.html">b</a> <a href="/c.html">c</a></nav>
</body>
</html>
`;
}

/**
 * The landing page (outside the walk), the pages of the walk, and a gallery page outside both whose
 * image (c.png) is inserted by script later, from a `<template>`: the manifest lists it for the
 * page, the parser never requests it.
 */
export const PAGES = Object.freeze({ landing: '/', walk: ['/a.html', '/b.html', '/c.html'] as const, gallery: '/gallery.html' });

/** Files every walk page loads (shared) and those of one page each. */
export const SHARED_ASSETS = ['/css/site.css', '/css/theme.css', '/fonts/brand.woff2', '/img/bg.png', '/js/app.js', '/js/util.js'] as const;
export const PAGE_ASSETS: Readonly<Record<(typeof PAGES.walk)[number], readonly string[]>> = Object.freeze({
  '/a.html': ['/img/a.png'],
  '/b.html': ['/img/b.png', '/img/b-small.png'],
  '/c.html': ['/img/c.png'],
});

/** The multi-page fixture: an E2eSite plus which files each page needs. */
export interface PagesSite extends E2eSite {
  /** Every asset of the walk (shared and per page). */
  readonly assets: readonly string[];
  /** Deletes every non-HTML file from the served directory (the origin loses its assets). */
  removeAssets(): Promise<void>;
}

/** Writes the site and signs its manifest (version 1) with a fresh key. */
export async function makePagesSite(): Promise<PagesSite> {
  assertCliBuilt();
  const temps = new TempDirs();
  const dir = join(await temps.make('swarmcdn-e2e-pages-'), 'site');
  const keys = await keygen(await temps.make('swarmcdn-e2e-pages-keys-'));
  const js = (text: string, pad: number): string => `${text}\n/*${'x'.repeat(pad)}*/\n`;
  const contents: Record<string, Buffer> = {
    '/index.html': Buffer.from(`<!doctype html><html><head>${TAG}<meta charset="utf-8"><title>landing</title><link rel="icon" href="data:,"></head>
<body><h1>landing</h1><a href="/a.html">a</a> <a href="/b.html">b</a> <a href="/c.html">c</a></body></html>
`),
    '/a.html': Buffer.from(page('page a', '<img src="/img/a.png" alt="a">')),
    '/b.html': Buffer.from(page('page b', '<img src="/img/b.png" alt="b"><img src="/img/b-small.png" alt="b small">')),
    '/c.html': Buffer.from(page('page c', '<img src="/img/c.png" alt="c">')),
    '/gallery.html': Buffer.from(`<!doctype html><html><head>${TAG}<meta charset="utf-8"><title>gallery</title><link rel="icon" href="data:,"></head>
<body><h1>gallery</h1><template id="later"><img src="/img/c.png" alt="c"></template></body></html>
`),
    '/css/site.css': Buffer.from(`@import url("theme.css");
@font-face { font-family: Brand; src: url(/fonts/brand.woff2) format("woff2"); }
body { background: url('../img/bg.png') repeat; font-family: sans-serif; }
h1.brand { font-family: Brand, sans-serif; }
`),
    '/css/theme.css': Buffer.from('nav a { color: #036; }\n'),
    // Not a real font: the browser fetches it (the text uses the family), fails to decode it and falls back.
    '/fonts/brand.woff2': bytesOf(150 * 1024, 31),
    '/img/bg.png': makePng(64, 64, 32),
    '/js/app.js': Buffer.from(js(`import { mark } from './util.js';\nmark('app');`, 100 * 1024)),
    '/js/util.js': Buffer.from("export function mark(what) { document.documentElement.dataset.loaded = what; }\n"),
    // Stored uncompressed: ~480 KiB each, two chunks.
    '/img/a.png': makePng(400, 400, 33, 0),
    '/img/b.png': makePng(400, 400, 34, 0),
    '/img/b-small.png': makePng(24, 24, 35),
    '/img/c.png': makePng(400, 400, 36, 0),
  };
  await writeTree(dir, Object.fromEntries(Object.entries(contents).map(([path, bytes]) => [path.slice(1), bytes])));
  const info = (path: string): SiteFile => ({ path, size: contents[path]!.length, sha256: createHash('sha256').update(contents[path]!).digest('hex') });
  const files = new Map(Object.keys(contents).map((p) => [p, info(p)] as const));
  const manifest = (): Promise<Manifest> => readSiteManifest(dir);
  const publish = async (): Promise<number> => {
    const run = await swarmcdnJson<{ version: number }>(['manifest', 'build', dir, '--key', keys.key, '--threads', '0']);
    if (run.code !== 0) throw new Error(`manifest build failed: ${JSON.stringify(run)}`);
    return run.json.version;
  };
  await publish();
  const assets = [...new Set([...SHARED_ASSETS, ...Object.values(PAGE_ASSETS).flat()])];
  return {
    dir,
    keys,
    files,
    assets,
    // No file outside the manifest in this site; the landing page stands in where a test needs one.
    outside: info('/index.html'),
    manifest,
    entry: (path) => siteEntry(dir, path),
    bytes: (path) => readFile(join(dir, ...path.slice(1).split('/'))),
    publish,
    removeAssets: async () => {
      for (const path of Object.keys(contents)) if (!path.endsWith('.html')) await rm(join(dir, ...path.slice(1).split('/')));
    },
    cleanup: () => temps.cleanup(),
  };
}
