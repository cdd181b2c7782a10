/**
 * The subresources an HTML page loads, as written in it: what its elements fetch, what its inline
 * CSS and inline module scripts reference, and its `<base href>`. Navigations (`<a>`, `<area>`,
 * `<form>`) and nested browsing contexts (`<iframe>`, `<frame>`) are pages of their own, not
 * assets of this one, so they are left out. htmlparser2's streaming tokenizer: no DOM is built.
 */
import { Parser } from 'htmlparser2';
import { cssUrls } from './css-references.js';
import { moduleSpecifiers } from './module-references.js';
import { srcsetUrls } from './srcset.js';

/** One reference from a page; `module` when it loads as an ES module (its imports load too). */
export interface RawReference {
  readonly url: string;
  readonly module: boolean;
}

/** What a page references, unresolved; `base` is the first `<base href>` value, if any. */
export interface HtmlReferences {
  readonly base: string | undefined;
  readonly references: readonly RawReference[];
}

// <link rel> tokens that make the browser fetch the target (canonical, alternate alone, next,
// prev, author… only name another document).
const FETCHING_RELS: ReadonlySet<string> = new Set([
  'stylesheet', 'icon', 'apple-touch-icon', 'apple-touch-icon-precomposed', 'mask-icon',
  'preload', 'modulepreload', 'prefetch', 'manifest',
]);
// Elements whose `src` is their only subresource (the others with a src are handled one by one).
const SRC_ELEMENTS: ReadonlySet<string> = new Set(['audio', 'track', 'embed']);
// Types under which <script> runs as a classic script (HTML's "JavaScript MIME type essence match").
const CLASSIC_SCRIPT_TYPE = /^(?:|(?:text|application)\/(?:x-)?(?:java|ecma)script|text\/(?:jscript|livescript))$/;

/**
 * An attribute value with its character references decoded. The page is tokenized with entity
 * decoding off, which lets htmlparser2 skip through text and attribute values with a plain scan
 * instead of checking every character for '&' (1.4× faster on tag-dense pages); the few values
 * that hold an '&' are decoded here by the same parser, so the rules (attribute mode) are its own.
 */
function decodeAttribute(raw: string | undefined): string | undefined {
  if (raw === undefined || !raw.includes('&')) return raw;
  let decoded = raw;
  new Parser({ onopentag: (_, a) => (decoded = a.v ?? raw) }, { decodeEntities: true }).end(`<x v="${raw.replaceAll('"', '&quot;')}">`);
  return decoded;
}

function tokens(value: string | undefined): string[] {
  return (value ?? '').toLowerCase().split(/[\t\n\f\r ]+/).filter(Boolean);
}

/** Parses a page's text and lists what it references. */
export function htmlReferences(html: string): HtmlReferences {
  const references: RawReference[] = [];
  let base: string | undefined;
  // The <style> or inline module <script> being read: its kind and where its raw text starts (it is
  // sliced from the source at its end tag: raw text is never entity-decoded).
  let rawText: { kind: 'css' | 'module'; start: number } | undefined;
  // Inside <noscript>: a browser that runs a service worker runs scripts, so never loads any of it.
  let noscript = 0;

  const asset = (url: string | undefined): void => {
    if (url !== undefined) references.push({ url, module: false });
  };
  const css = (text: string | undefined): void => {
    if (text) for (const url of cssUrls(text)) asset(url);
  };
  const srcset = (value: string | undefined): void => {
    if (value) for (const url of srcsetUrls(value)) asset(url);
  };

  function onOpenTag(name: string, attributes: Record<string, string>): void {
    if (name === 'noscript') noscript++;
    if (noscript > 0) return;
    const a = (key: string): string | undefined => decodeAttribute(attributes[key]);
    css(a('style'));
    switch (name) {
      case 'base':
        base ??= a('href');
        return;
      case 'link': {
        const rel = tokens(a('rel'));
        if (!rel.some((r) => FETCHING_RELS.has(r))) return;
        const href = a('href');
        if (href !== undefined) references.push({ url: href, module: rel.includes('modulepreload') });
        srcset(a('imagesrcset'));
        return;
      }
      case 'script': {
        const type = (a('type') ?? '').trim().toLowerCase();
        const module = type === 'module';
        if (!module && !CLASSIC_SCRIPT_TYPE.test(type)) return; // data blocks (JSON, templates) load nothing
        // Browsers with modules skip `nomodule` scripts, and those are the browsers the SW runs in.
        if (a('nomodule') !== undefined) return;
        const src = a('src');
        if (src !== undefined) references.push({ url: src, module });
        else if (module) rawText = { kind: 'module', start: parser.endIndex + 1 };
        return;
      }
      case 'style':
        rawText = { kind: 'css', start: parser.endIndex + 1 };
        return;
      case 'img':
        asset(a('src'));
        srcset(a('srcset'));
        return;
      case 'source':
        asset(a('src'));
        srcset(a('srcset'));
        return;
      case 'video':
        asset(a('src'));
        asset(a('poster'));
        return;
      case 'input':
        if ((a('type') ?? '').trim().toLowerCase() === 'image') asset(a('src'));
        return;
      case 'object':
        asset(a('data'));
        return;
      case 'image': // inline SVG
      case 'use':
        asset(a('href') ?? a('xlink:href'));
        return;
      default:
        if (SRC_ELEMENTS.has(name)) asset(a('src'));
    }
  }

  const parser: Parser = new Parser(
    {
      onopentag: onOpenTag,
      onclosetag(name) {
        if (name === 'noscript' && noscript > 0) noscript--;
        if (!rawText) return;
        // A raw text element's content is never entity-decoded, so the source slice is its text.
        const text = html.slice(rawText.start, Math.max(rawText.start, parser.startIndex));
        if (rawText.kind === 'css') css(text);
        else for (const url of moduleSpecifiers(text)) references.push({ url, module: true });
        rawText = undefined;
      },
    },
    { decodeEntities: false },
  );
  parser.end(html);
  return { base, references };
}
