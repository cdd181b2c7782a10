/**
 * The manifest's `pages`: for every HTML page of a site, the manifest files it references —
 * directly, through its stylesheets (`url()`, `@import`, transitively) and through its module
 * scripts (static and literal dynamic imports, transitively). Each HTML, CSS and JS file is read
 * and parsed at most once per build; its resolved references are cached, and each page's closure
 * is walked over that cache, so cycles end and shared stylesheets cost nothing the second time.
 * Reads are synchronous: this runs after hashing with nothing else to do, and a blocking read of a
 * small file skips an async one's thread-pool round trips (the benchmark tree's 616 .html files:
 * ~40 ms here, 80–200 ms with async reads at any concurrency).
 */
import { closeSync, openSync, readSync } from 'node:fs';
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
}

/** 8 MiB. */
export const DEFAULT_MAX_PARSE_BYTES = 8 * 1024 * 1024;
// git's test for binary content: a NUL in the first 8 KiB. A "page" that has one is not text.
const BINARY_SNIFF_BYTES = 8000;

/**
 * A file's text, or undefined when its first bytes hold a NUL: the sniff is read first, so a binary
 * file that merely has an .html name (the benchmark tree is full of them) costs one small read.
 */
function readIfText(path: string, size: number): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const readInto = (bytes: Buffer, from: number): number => {
      let at = from;
      while (at < bytes.length) {
        const read = readSync(fd, bytes, at, bytes.length - at, at);
        if (read === 0) break; // shorter than when it was listed
        at += read;
      }
      return at;
    };
    const head = Buffer.allocUnsafe(Math.min(size, BINARY_SNIFF_BYTES));
    const headEnd = readInto(head, 0);
    if (head.subarray(0, headEnd).includes(0)) return undefined;
    if (headEnd < BINARY_SNIFF_BYTES) return head.toString('utf8', 0, headEnd);
    const bytes = Buffer.allocUnsafe(size);
    head.copy(bytes);
    return bytes.toString('utf8', 0, readInto(bytes, headEnd));
  } finally {
    closeSync(fd);
  }
}

type Kind = 'html' | 'css' | 'js' | 'other';
/** How a file's references are read: as a page, a stylesheet, or an ES module. */
type Mode = 'html' | 'css' | 'module';

/** A file of the site, with what parsing it found (filled in on first use). */
interface SiteNode {
  readonly file: PageSourceFile;
  readonly kind: Kind;
  /** Its references, per mode it was parsed in. */
  readonly edges: Partial<Record<Mode, readonly Edge[]>>;
  /** Everything reachable through it, per mode: computed once, shared by every page. */
  readonly closure: Partial<Record<Mode, readonly SiteNode[]>>;
}

/** A resolved reference to a file of the site, and whether it loads as an ES module. */
interface Edge {
  readonly node: SiteNode;
  readonly module: boolean;
}

function kindOf(contentType: string): Kind {
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (essence === 'text/html') return 'html';
  if (essence === 'text/css') return 'css';
  if (essence === 'text/javascript' || essence === 'application/javascript') return 'js';
  return 'other';
}

/** The mode a reference's target is followed in: stylesheets always, scripts only when loaded as modules. */
function followMode(edge: Edge): Mode | undefined {
  if (edge.node.kind === 'css') return 'css';
  // Classic scripts are not parsed: what they fetch is computed at run time.
  return edge.module && edge.node.kind === 'js' ? 'module' : undefined;
}

/** True for a file that `pages` gets an entry for. */
export function isHtmlPage(file: Pick<PageSourceFile, 'contentType'>): boolean {
  return kindOf(file.contentType) === 'html';
}

/** Computes `pages` for every HTML file of `files`; pages that reference no other file are left out. */
export async function pageReferences(
  files: readonly PageSourceFile[],
  options: PageReferenceOptions = {},
): Promise<Record<string, string[]>> {
  const resolver = new ReferenceResolver(options.origin);
  const maxParseBytes = options.maxParseBytes ?? DEFAULT_MAX_PARSE_BYTES;
  const maxReferences = Math.min(options.maxReferences ?? MAX_PAGE_REFERENCES, MAX_PAGE_REFERENCES);
  const nodes = new Map<string, SiteNode>(files.map((file) => [file.urlPath, { file, kind: kindOf(file.contentType), edges: {}, closure: {} }]));

  function readText(file: PageSourceFile): string | undefined {
    if (file.size > maxParseBytes) return undefined;
    try {
      return readIfText(file.absPath, file.size);
    } catch {
      return undefined; // gone since it was hashed: `pages` is a hint, not worth failing the build
    }
  }

  function parseEdges(file: PageSourceFile, mode: Mode): Edge[] {
    const text = readText(file);
    if (text === undefined) return [];
    const url = resolver.urlOf(file.urlPath);
    let base = url;
    let raw: readonly { url: string; module: boolean }[];
    if (mode === 'html') {
      const found = htmlReferences(text);
      base = resolver.baseOf(found.base, url);
      raw = found.references;
    } else if (mode === 'css') {
      raw = cssUrls(text).map((u) => ({ url: u, module: false }));
    } else {
      raw = moduleSpecifiers(text).map((u) => ({ url: u, module: true }));
    }
    const edges = new Map<SiteNode, Edge>();
    for (const ref of raw) {
      const path = resolver.resolve(ref.url, base);
      const node = path === undefined ? undefined : nodes.get(path);
      if (!node) continue;
      const known = edges.get(node);
      // A file listed both ways (preloaded, then a module script) must still have its imports followed.
      if (!known || (ref.module && !known.module)) edges.set(node, { node, module: ref.module });
    }
    return [...edges.values()];
  }

  function edgesOf(node: SiteNode, mode: Mode): readonly Edge[] {
    return (node.edges[mode] ??= parseEdges(node.file, mode));
  }

  /** Every file reachable from `root` read in `mode` (not counting `root` itself unless a cycle returns to it). */
  function closureOf(root: SiteNode, mode: Mode): readonly SiteNode[] {
    const cached = root.closure[mode];
    if (cached) return cached;
    const out = new Set<SiteNode>();
    const followed: Record<Mode, Set<SiteNode>> = { html: new Set(), css: new Set(), module: new Set() };
    followed[mode].add(root); // a cycle (CSS @import loop, module cycle) stops where it began
    const queue: Edge[] = edgesOf(root, mode).slice();
    for (let i = 0; i < queue.length && out.size < maxReferences; i++) {
      const edge = queue[i]!;
      out.add(edge.node);
      const next = followMode(edge);
      if (next === undefined || followed[next].has(edge.node)) continue;
      followed[next].add(edge.node);
      for (const e of edgesOf(edge.node, next)) queue.push(e); // no spread: a list may be huge
    }
    const closure = [...out];
    root.closure[mode] = closure;
    return closure;
  }

  function referencesOf(page: SiteNode): string[] {
    const out = new Set<SiteNode>();
    const add = (node: SiteNode): void => {
      if (node !== page && out.size < maxReferences) out.add(node);
    };
    for (const edge of edgesOf(page, 'html')) {
      add(edge.node);
      const mode = followMode(edge);
      if (mode !== undefined) for (const node of closureOf(edge.node, mode)) add(node);
    }
    return [...out].map((n) => n.file.urlPath).sort();
  }

  // Inline module scripts are lexed while a page is parsed, so the lexer is ready before any page.
  await initModuleLexer();
  const result: Record<string, string[]> = {};
  const pages = [...nodes.values()].filter((n) => n.kind === 'html');
  // Keys in path order (code units, like the serializer), whatever order `files` came in.
  pages.sort((a, b) => (a.file.urlPath < b.file.urlPath ? -1 : a.file.urlPath > b.file.urlPath ? 1 : 0));
  for (const page of pages) {
    const refs = referencesOf(page);
    if (refs.length > 0) result[page.file.urlPath] = refs;
  }
  return result;
}
