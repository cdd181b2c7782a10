/**
 * Site (b): SB Admin 2 (`startbootstrap-sb-admin-2`, an MIT Bootstrap 4 admin theme, one of the
 * most installed of its kind): fourteen HTML pages sharing one stylesheet, jQuery, Bootstrap,
 * Font Awesome (its CSS and webfonts), Chart.js, DataTables and SVG illustrations; the package is
 * about 17 MB on disk. Every asset ships in the package except the Nunito webfont, which the pages
 * take from Google Fonts: the bench maps that one stylesheet URL to the same font from npm
 * (`@fontsource/nunito`, the same weights and styles, one stylesheet written at /fonts/nunito/).
 * Avatar images from source.unsplash.com (a dropdown on most pages) have no npm twin; they stay,
 * and fail at once in the bench's Chromium (its host resolver maps every other host to NOTFOUND),
 * with and without the SW alike.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyPackage, externalUrls, landingPage, packageDir, packageId, replaceUrls, writeSiteFile, type Rewrite } from './assemble.js';
import type { SiteLayout } from './site-types.js';

/** The walk: dashboard, charts, tables, cards, buttons, a utilities page and the login page. */
const WALK = ['/index.html', '/charts.html', '/tables.html', '/cards.html', '/buttons.html', '/utilities-color.html', '/login.html'];
const FONT_CSS = '/fonts/nunito/nunito.css';

/** `Nunito:200,200i,…` → the @fontsource/nunito stylesheets for those weights and styles. */
function fontsourceSheets(googleUrl: string): string[] {
  const family = new URL(googleUrl).searchParams.get('family') ?? '';
  const [name, weights] = family.split(':');
  if (name !== 'Nunito' || !weights) throw new Error(`unexpected Google Fonts family ${JSON.stringify(family)}`);
  return weights.split(',').map((w) => {
    const m = /^(\d{3})(i?)$/.exec(w);
    if (!m) throw new Error(`unexpected Google Fonts weight ${w}`);
    return `${m[1]}${m[2] ? '-italic' : ''}.css`;
  });
}

/** Assembles the site into `dir`. */
export function assembleSbAdmin(dir: string): SiteLayout {
  copyPackage('startbootstrap-sb-admin-2', dir);
  const pages = readdirSync(dir).filter((f) => f.endsWith('.html'));
  const rewrites = new Map<string, Rewrite>();
  let fontWritten = false;
  const avatars = new Set<string>();
  for (const page of pages) {
    const path = join(dir, page);
    const html = readFileSync(path, 'utf8');
    const map = new Map<string, string>();
    for (const url of externalUrls(html)) {
      if (url.startsWith('https://fonts.googleapis.com/css?')) {
        map.set(url, FONT_CSS);
        rewrites.set(url, { from: url, to: FONT_CSS });
        if (!fontWritten) writeFontCss(dir, fontsourceSheets(url));
        fontWritten = true;
      } else if (url.startsWith('https://source.unsplash.com/')) {
        avatars.add(url);
      }
    }
    writeFileSync(path, replaceUrls(html, map));
  }
  writeSiteFile(join(dir, 'bench-landing.html'), landingPage('SB Admin 2 (swarmcdn bench)', WALK[0]!));
  return {
    packages: [packageId('startbootstrap-sb-admin-2'), packageId('@fontsource/nunito')],
    landing: '/bench-landing.html',
    walk: WALK,
    ready: undefined,
    rewrites: [...rewrites.values()],
    notes: [`${avatars.size} avatar image URL(s) on source.unsplash.com left as they are: they fail at once, with and without the SW`],
  };
}

/** One stylesheet of the given @fontsource sheets (their `./files/…` URLs stay valid), beside the package. */
function writeFontCss(dir: string, sheets: readonly string[]): void {
  const src = packageDir('@fontsource/nunito');
  const out = join(dir, 'fonts', 'nunito');
  copyPackage('@fontsource/nunito', out);
  writeSiteFile(join(out, 'nunito.css'), sheets.map((s) => readFileSync(join(src, s), 'utf8')).join('\n'));
}
