/**
 * Building blocks for assembling a third-party site from npm packages into a temp directory:
 * where an installed package is, copying it, and mapping a CDN URL to the same file of the same
 * package installed locally (the only rewrite the bench allows besides the swarm tag).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../server/package-root.js';

/** An installed package's directory (node_modules of the swarmcdn checkout); throws naming what to install. */
export function packageDir(name: string): string {
  const dir = join(packageRoot(), 'node_modules', ...name.split('/'));
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`${name} is not installed (npm ci installs the bench's devDependencies)`);
  return dir;
}

/** `name@version` of an installed package. */
export function packageId(name: string): string {
  const { version } = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string };
  return `${name}@${version}`;
}

/**
 * Copies an installed package's files into `dest` (its own node_modules, if any, stay behind:
 * a site on a CDN is the package's files, not its dependency tree).
 */
export function copyPackage(name: string, dest: string): void {
  const src = packageDir(name);
  mkdirSync(dest, { recursive: true });
  cpSync(src, dest, { recursive: true, dereference: true, filter: (path) => !path.slice(src.length).split(/[\\/]/).includes('node_modules') });
}

/** Writes a file, making its directory. */
export function writeSiteFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** One CDN URL replaced by a local path, for the bench's report. */
export interface Rewrite {
  readonly from: string;
  readonly to: string;
}

/**
 * The local path (under `mount`, e.g. `/npm`) of a jsDelivr npm URL
 * `https://cdn.jsdelivr.net/npm/<name>@<version>[/<file>]`, served from the installed package:
 * no file means the package's browser build (jsDelivr's default file); a `.min.js` the package
 * does not ship (jsDelivr minifies on the fly) maps to the unminified file beside it.
 * Throws when the package or the file is not installed.
 */
export function jsdelivrToLocal(url: string, mount: string, defaults: Readonly<Record<string, string>>): string {
  const match = /^https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[^/@]+\/)?[^/@]+)@[^/]+(\/.*)?$/.exec(url);
  if (!match) throw new Error(`not a jsDelivr npm URL: ${url}`);
  const name = match[1]!;
  let file = match[2] ?? defaults[name];
  if (file === undefined) throw new Error(`no default file known for ${name} (${url})`);
  const dir = packageDir(name);
  if (!existsSync(join(dir, file)) && file.endsWith('.min.js') && existsSync(join(dir, file.replace(/\.min\.js$/, '.js')))) {
    file = file.replace(/\.min\.js$/, '.js');
  }
  if (!existsSync(join(dir, file))) throw new Error(`${url}: ${name} has no ${file}`);
  return `${mount}/${name}${file}`;
}

/** Replaces every attribute value in `html` equal to a key of `map`; throws if one is absent. */
export function replaceUrls(html: string, map: ReadonlyMap<string, string>): string {
  let out = html;
  for (const [from, to] of map) {
    const quoted = new RegExp(`(["'])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`, 'g');
    if (!quoted.test(out)) throw new Error(`${from} is not in the page any more`);
    out = out.replace(quoted, (_, q: string) => `${q}${to}${q}`);
  }
  return out;
}

/** Every absolute http(s) URL in a `src=` or `href=` of `html` (what a page may load from elsewhere). */
export function externalUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*(["'])(https?:\/\/[^"']+)\1/gi)].map((m) => m[2]!);
}

/** The tiny landing page the bench adds: outside the walk, so a visitor's first walk page has a SW. */
export function landingPage(title: string, firstPage: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head>
<body><p>${title}: the bench's landing page (not part of the site). <a href="${firstPage}">Enter the site</a>.</p></body></html>
`;
}
