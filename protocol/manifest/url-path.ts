/**
 * Manifest keys are URL paths exactly as a browser's URL parser leaves them in `url.pathname`:
 * absolute, no dot segments, no empty segments, percent-encoded with uppercase hex. One encoder
 * produces them (from file names) and one function checks them, so the CLI, the server and the
 * service worker agree byte for byte.
 */

// Characters a WHATWG URL parser leaves literal in a path segment, besides the unreserved set
// encodeURIComponent already keeps: sub-delims and ':' '@' (RFC 3986 pchar).
const KEEP_LITERAL = /%(24|26|2B|2C|3B|3D|3A|40)/g;

/**
 * 4,096 characters: the longest URL path (percent-encoded) a manifest key may be, and the longest
 * request path the service worker looks up; bounds what one key costs a parser and a lookup.
 */
export const MAX_URL_PATH_LENGTH = 4096;

/** Encodes one decoded path segment (a file or directory name) the way it appears in a URL path. */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(KEEP_LITERAL, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The URL path of a file from its relative path's segments (`['img', 'a b.png']` → `/img/a%20b.png`). */
export function urlPathFromSegments(segments: readonly string[]): string {
  return '/' + segments.map(encodePathSegment).join('/');
}

/**
 * Normalizes a request path to manifest form, or returns undefined when it can never name a
 * manifest file: relative, dot segments (also encoded, `%2e%2e`), empty segments, an encoded '/'
 * or NUL, malformed percent-encoding, a trailing slash.
 */
export function canonicalUrlPath(path: string): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_URL_PATH_LENGTH) return undefined;
  const rawSegments = path.slice(1).split('/');
  const out: string[] = [];
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment === '.' || segment === '..') return undefined;
    if (segment.includes('/') || segment.includes('\\') || segment.includes('\0')) return undefined;
    out.push(segment);
  }
  return urlPathFromSegments(out);
}

/** True when a path is already in manifest form (what a manifest key must be). */
export function isCanonicalUrlPath(path: string): boolean {
  return canonicalUrlPath(path) === path;
}
