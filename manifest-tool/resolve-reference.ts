/**
 * Turns a reference found in a page, stylesheet or module into the manifest path it names, the way
 * the service worker will see the request: same origin, no query string, fragment dropped,
 * normalized with canonicalUrlPath. Anything else is not something the swarm would answer.
 */
import { canonicalUrlPath } from '../protocol/index.js';

/**
 * The stand-in origin when the site's own is not given: `.invalid` is reserved (RFC 2606), so no
 * absolute URL in real content is ever mistaken for one of the site's.
 */
export const PLACEHOLDER_ORIGIN = 'http://swarmcdn.invalid';

/** Checks `--origin`: an http(s) origin (scheme, host, optional port) and nothing more; undefined if not. */
export function parseSiteOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  return url.origin;
}

// Most references that may be cached by their base's directory: bounds memory on huge sites.
const MAX_CACHED = 1_000_000;
// A reference that resolves to its base itself (empty, or only a query or fragment), so depends on all of it.
// eslint-disable-next-line no-control-regex -- URL parsing strips leading C0 controls and spaces (WHATWG URL), so must we.
const SELF_REFERENCE = /^[\x00-\x20]*(?:[?#]|$)/;

/** Resolves references against files of one site whose origin is `origin`. */
export class ReferenceResolver {
  // Pages of one directory repeat the same references; parsing each URL once per directory halves the work.
  private readonly cache = new Map<string, string | undefined>();

  constructor(private readonly origin: string = PLACEHOLDER_ORIGIN) {}

  /** The absolute URL of a manifest path, the base its own references resolve against. */
  urlOf(path: string): string {
    return this.origin + path;
  }

  /** An absolute base URL from `<base href>`, resolved against the page; the page's URL when unusable. */
  baseOf(href: string | undefined, pageUrl: string): string {
    if (href === undefined) return pageUrl;
    try {
      return new URL(href, pageUrl).href;
    } catch {
      return pageUrl;
    }
  }

  /** The canonical manifest path a reference names, or undefined (other origin, query, unparsable). */
  resolve(reference: string, base: string): string | undefined {
    // Any other reference resolves the same against every URL of the base's directory.
    const cacheable = !base.includes('?') && !base.includes('#') && !SELF_REFERENCE.test(reference);
    if (!cacheable) return this.resolveUncached(reference, base);
    const key = `${base.slice(0, base.lastIndexOf('/') + 1)}\n${reference}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const path = this.resolveUncached(reference, base);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, path);
    return path;
  }

  private resolveUncached(reference: string, base: string): string | undefined {
    let url: URL;
    try {
      url = new URL(reference, base);
    } catch {
      return undefined;
    }
    // A query string goes to the network (the SW never answers it), so prefetching it is useless.
    if (url.origin !== this.origin || url.search !== '') return undefined;
    return canonicalUrlPath(url.pathname);
  }
}
