/**
 * The one change a site makes to adopt swarmcdn, added at run time: the bridge's script tag as the
 * first element of every HTML `<head>`. The bench's proxy applies it to HTML responses of the
 * "with SW" origin only; the files on disk are never edited.
 */

/** What the injected tag asks the swarm for. */
export interface SwarmTagOptions {
  /** Bytes per second each visitor serves other visitors at most (`data-upload-bytes-per-second`). */
  readonly uploadBytesPerSecond?: number;
}

/**
 * The tag a site adds, as page-bridge/script-options.ts reads it: `bridge.js` with
 * `data-ice-servers="[]"` (host candidates only: WebRTC stays on loopback) and, when given,
 * `data-upload-bytes-per-second`. The bridge starts the swarm by itself and never throws at the page.
 */
export function swarmTag(options: SwarmTagOptions = {}): string {
  const upload = options.uploadBytesPerSecond === undefined ? '' : ` data-upload-bytes-per-second="${options.uploadBytesPerSecond}"`;
  return `<script src="/swarmcdn/bridge.js" data-ice-servers="[]"${upload}></script>`;
}

const HEAD_OPEN = /<head(?:\s[^>]*)?>/i;
const HTML_OPEN = /<html(?:\s[^>]*)?>/i;
const DOCTYPE = /^\s*<!doctype[^>]*>/i;

/**
 * `html` with `tag` as the first thing inside `<head>`; with no `<head>` tag, right after
 * `<html>` (the parser opens the head there), else after the doctype, else at the very start.
 */
export function injectTag(html: string, tag: string): string {
  for (const pattern of [HEAD_OPEN, HTML_OPEN, DOCTYPE]) {
    const match = pattern.exec(html);
    if (match) {
      const at = match.index + match[0].length;
      return html.slice(0, at) + tag + html.slice(at);
    }
  }
  return tag + html;
}
