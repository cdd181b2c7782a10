/**
 * The one change a site makes to adopt swarmcdn, added at run time: the bridge's script tag as the
 * first element of every HTML `<head>`. The bench's proxy applies it to HTML responses of the
 * "with SW" origin only; the files on disk are never edited.
 */

/** What the injected tag asks the swarm for. */
export interface SwarmTagOptions {
  /**
   * Bytes per second each visitor serves other visitors at most (startSwarm's
   * `uploadBytesPerSecond`). No script attribute carries it (page-bridge/script-options.ts reads
   * only server, ice-servers and region), so the tag is `data-manual` plus an inline start call.
   */
  readonly uploadBytesPerSecond?: number;
}

/**
 * The tag: `bridge.js` with `data-manual`, then `swarmcdn.startSwarm({ iceServers: [] , … })`.
 * `iceServers: []` keeps WebRTC on host candidates (loopback), like `data-ice-servers="[]"`.
 * The guard keeps a page whose bridge failed to load from throwing: it then loads from the origin.
 */
export function swarmTag(options: SwarmTagOptions = {}): string {
  const start: Record<string, unknown> = { iceServers: [] };
  if (options.uploadBytesPerSecond !== undefined) start.uploadBytesPerSecond = options.uploadBytesPerSecond;
  return (
    '<script src="/swarmcdn/bridge.js" data-manual></script>' +
    `<script>window.swarmcdn&&window.swarmcdn.startSwarm(${JSON.stringify(start)})</script>`
  );
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
