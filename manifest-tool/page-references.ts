/**
 * The manifest's `pages`: for every HTML page of a site, the manifest files it references —
 * directly, through its stylesheets (`url()`, `@import`, transitively) and through its module
 * scripts (static and literal dynamic imports, transitively). Each HTML, CSS and JS file is read
 * and parsed at most once per build; its resolved references are cached, and each page's closure
 * is walked over that cache, so cycles end and shared stylesheets cost nothing the second time.
 */
import { readFile } from 'node:fs/promises';
import { MAX_PAGE_REFERENCES } from '../protocol/index.js';
import { cssUrls } from './css-references.js';
import { htmlReferences } from './html-references.js';
import { initModuleLexer, moduleSpecifiers } from './module-references.js';
import { ReferenceResolver } from './resolve-reference.js';

/** A file of the manifest being built, as page extraction needs it. */
export interface PageSourceFile {
  readonly urlPath: string;
  readonly absPath: string;
  readonly size: number;
  readonly contentType: string;
}

/** Tuning; every field has a default. */
export interface PageReferenceOptions {
  /** The site's origin (`https://example.com`): absolute URLs to it count as the site's own. */
  readonly origin?: string;
  /** Files larger than this are not parsed (default 8 MiB: no hand-written page or stylesheet is). */
  readonly maxParseBytes?: number;
  /** Most references listed per page (default and ceiling: the format's MAX_PAGE_REFERENCES). */
  readonly maxReferences?: number;
  /** Pages read at once (default 8: overlaps reads with parsing; parsing itself is one thread). */
  readonly concurrency?: number;
}

/** 8 MiB. */
export const DEFAULT_MAX_PARSE_BYTES = 8 * 1024 * 1024;
// git's test for binary content: a NUL in the first 8 KiB. A "page" that has one is not text.
const BINARY_SNIFF_BYTES = 8000;

type Mode = 'html' | 'css' | 'module';
/** A resolved reference: a manifest path, and whether it loads as an ES module. */
interface Edge {
  readonly path: string;
  readonly module: boolean;
}

function essence(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/** How a file's own references are found, from its content type; undefined for files never parsed. */
function parseModeOf(file: PageSourceFile, asModule: boolean): Mode | undefined {
  const type = essence(file.contentType);
  if (type === 'text/css') return 'css';
  // Classic scripts are not parsed: their fetches are computed at run time.
  if (asModule && (type === 'text/javascript' || type === 'application/javascript')) return 'module';
  return undefined;
}

/** True for a file that `pages` gets an entry for. */
export function isHtmlPage(file: Pick<PageSourceFile, 'contentType'>): boolean {
  return essence(file.contentType) === 'text/html';
}

/** Computes `pages` for every HTML file of `files`; pages that reference no other file are left out. */
export async function pageReferences(
  files: readonly PageSourceFile[],
  options: PageReferenceOptions = {},
): Promise<Record<string, string[]>> {
  const resolver = new ReferenceResolver(options.origin);
  const maxParseBytes = options.maxParseBytes ?? DEFAULT_MAX_PARSE_BYTES;
  const maxReferences = Math.min(options.maxReferences ?? MAX_PAGE_REFERENCES, MAX_PAGE_REFERENCES);
  const byPath = new Map(files.map((f) => [f.urlPath, f]));
  const parsed = new Map<string, Promise<readonly Edge[]>>();

  async function readText(file: PageSourceFile): Promise<string | undefined> {
    if (file.size > maxParseBytes) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(file.absPath);
    } catch {
      return undefined; // gone since it was hashed: `pages` is a hint, not worth failing the build
    }
    if (bytes.length > maxParseBytes || bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
    return bytes.toString('utf8');
  }

  async function parseEdges(file: PageSourceFile, mode: Mode): Promise<readonly Edge[]> {
    const text = await readText(file);
    if (text === undefined) return [];
    const url = resolver.urlOf(file.urlPath);
    let base = url;
    let raw: { url: string; module: boolean }[];
    if (mode === 'html') {
      const found = htmlReferences(text);
      base = resolver.baseOf(found.base, url);
      raw = [...found.references];
    } else if (mode === 'css') {
      raw = cssUrls(text).map((u) => ({ url: u, module: false }));
    } else {
      await initModuleLexer();
      raw = moduleSpecifiers(text).map((u) => ({ url: u, module: true }));
    }
    const edges = new Map<string, Edge>();
    for (const ref of raw) {
      const path = resolver.resolve(ref.url, base);
      if (path === undefined || !byPath.has(path)) continue;
      const known = edges.get(path);
      // A file listed both ways (preloaded, then a module script) must still have its imports followed.
      if (!known || (ref.module && !known.module)) edges.set(path, { path, module: ref.module });
    }
    return [...edges.values()];
  }

  function edgesOf(file: PageSourceFile, mode: Mode): Promise<readonly Edge[]> {
    const key = `${mode} ${file.urlPath}`;
    let edges = parsed.get(key);
    if (!edges) {
      edges = parseEdges(file, mode);
      parsed.set(key, edges);
    }
    return edges;
  }

  async function referencesOf(page: PageSourceFile): Promise<string[]> {
    const out = new Set<string>();
    const expanded = new Set<string>();
    const queue: Edge[] = (await edgesOf(page, 'html')).slice();
    for (let i = 0; i < queue.length && out.size < maxReferences; i++) {
      const edge = queue[i]!;
      if (edge.path !== page.urlPath) out.add(edge.path);
      const file = byPath.get(edge.path)!;
      const mode = parseModeOf(file, edge.module);
      if (mode === undefined || expanded.has(`${mode} ${edge.path}`)) continue;
      expanded.add(`${mode} ${edge.path}`); // a cycle (CSS @import loop, module cycle) stops here
      for (const next of await edgesOf(file, mode)) queue.push(next); // no spread: a list may be huge
    }
    return [...out].sort();
  }

  const pages = files.filter(isHtmlPage);
  const result: Record<string, string[]> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pages.length) {
      const page = pages[next++]!;
      const refs = await referencesOf(page);
      if (refs.length > 0) result[page.urlPath] = refs;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  // Keys in path order, so the object reads the same however the workers interleaved.
  return Object.fromEntries(Object.keys(result).sort().map((k) => [k, result[k]!]));
}
