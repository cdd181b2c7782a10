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

function tokens(value: string | undefined): string[] {
  return (value ?? '').toLowerCase().split(/[\t\n\f\r ]+/).filter(Boolean);
}

/** Parses a page's text and lists what it references. */
export function htmlReferences(html: string): HtmlReferences {
  const references: RawReference[] = [];
  let base: string | undefined;
  // Raw text of the <style> or inline module <script> being read (htmlparser2 may split it).
  let rawText: { kind: 'css' | 'module'; text: string } | undefined;

  const asset = (url: string | undefined): void => {
    if (url !== undefined) references.push({ url, module: false });
  };
  const css = (text: string | undefined): void => {
    if (text) for (const url of cssUrls(text)) asset(url);
  };
  const srcset = (value: string | undefined): void => {
    if (value) for (const url of srcsetUrls(value)) asset(url);
  };

  function onOpenTag(name: string, a: Record<string, string>): void {
    css(a.style);
    switch (name) {
      case 'base':
        if (base === undefined && a.href !== undefined) base = a.href;
        return;
      case 'link': {
        const rel = tokens(a.rel);
        if (!rel.some((r) => FETCHING_RELS.has(r))) return;
        if (a.href !== undefined) references.push({ url: a.href, module: rel.includes('modulepreload') });
        srcset(a.imagesrcset);
        return;
      }
      case 'script': {
        const type = (a.type ?? '').trim().toLowerCase();
        const module = type === 'module';
        if (!module && !CLASSIC_SCRIPT_TYPE.test(type)) return; // data blocks (JSON, templates) load nothing
        // Browsers with modules skip `nomodule` scripts, and those are the browsers the SW runs in.
        if (a.nomodule !== undefined) return;
        if (a.src !== undefined) references.push({ url: a.src, module });
        else if (module) rawText = { kind: 'module', text: '' };
        return;
      }
      case 'style':
        rawText = { kind: 'css', text: '' };
        return;
      case 'img':
        asset(a.src);
        srcset(a.srcset);
        return;
      case 'source':
        asset(a.src);
        srcset(a.srcset);
        return;
      case 'video':
        asset(a.src);
        asset(a.poster);
        return;
      case 'input':
        if ((a.type ?? '').trim().toLowerCase() === 'image') asset(a.src);
        return;
      case 'object':
        asset(a.data);
        return;
      case 'image': // inline SVG
      case 'use':
        asset(a.href ?? a['xlink:href']);
        return;
      default:
        if (SRC_ELEMENTS.has(name)) asset(a.src);
    }
  }

  const parser = new Parser(
    {
      onopentag: onOpenTag,
      ontext(text) {
        if (rawText) rawText.text += text;
      },
      onclosetag() {
        if (!rawText) return;
        if (rawText.kind === 'css') css(rawText.text);
        else for (const url of moduleSpecifiers(rawText.text)) references.push({ url, module: true });
        rawText = undefined;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return { base, references };
}
