/**
 * Connections opened while the page loads: the SW names the files this page references that peers
 * hold (from the signed manifest's `pages` and its availability view), and the bridge connects to a
 * holder of the first few now, so the page's later requests for them (and the prefetch) find an
 * open data channel instead of paying a tracker round trip and a WebRTC handshake (20–70 ms here,
 * far more across the internet) on the critical path.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';

/** Files looked up per warm-up: the tracker answers each; more would queue behind the page's own wants. */
export const WARM_FILES = 4;
/** New connections one warm-up opens: one or two holders serve a page's first requests; maxPeers bounds the rest. */
export const WARM_CONNECTIONS = 2;

/** What a warm-up uses. */
export interface WarmDeps {
  want(file: Sha256Sri): Promise<readonly string[]>;
  hasOpenSession(peerId: string): boolean;
  isDropped(peerId: string): boolean;
  connect(peerId: string): Promise<unknown>;
}

/**
 * Looks up holders of the first WARM_FILES files and connects to the nearest holder of each (the
 * tracker answers nearest first) until WARM_CONNECTIONS new connections are under way. Files a
 * connected peer already holds need none. Resolves with the peers it connected to.
 */
export async function warmHolders(files: readonly Sha256Sri[], deps: WarmDeps): Promise<string[]> {
  const answers = await Promise.all(files.slice(0, WARM_FILES).map((file) => deps.want(file)));
  const chosen: string[] = [];
  for (const peers of answers) {
    if (chosen.length >= WARM_CONNECTIONS) break;
    const usable = peers.filter((p) => !deps.isDropped(p));
    if (usable.length === 0 || usable.some((p) => deps.hasOpenSession(p) || chosen.includes(p))) continue;
    chosen.push(usable[0]!);
  }
  await Promise.all(chosen.map((peer) => deps.connect(peer)));
  return chosen;
}
