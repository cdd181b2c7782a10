/**
 * Which requests the swarm may answer. Privacy first: only exact manifest paths on plain,
 * same-origin GETs ever reach peers; everything else is left to the network untouched (no
 * respondWith at all), so the SW cannot change how the rest of the site behaves.
 */
import { canonicalUrlPath, type ManifestFile } from '../protocol/index.js';
import { SWARMCDN_PREFIX } from '../protocol/wire.js';

/** The parts of a Request the predicate reads (a real Request has them all). */
export interface RequestShape {
  readonly method: string;
  readonly url: string;
  readonly credentials: RequestCredentials;
  readonly headers: { has(name: string): boolean };
  readonly mode?: RequestMode;
  readonly destination?: RequestDestination;
}

/** A request the swarm may answer: its manifest path and entry. */
export interface SwarmMatch {
  readonly path: string;
  readonly file: ManifestFile;
}

/** Choices a site may make about what the swarm answers. */
export interface MatchOptions {
  /**
   * Also answer navigations and worker scripts. Off by default: a response the SW builds carries
   * only the manifest's Content-Type, so a document or worker would lose the origin's
   * Content-Security-Policy and other headers that set its policy.
   */
  readonly documents?: boolean;
}

// Requests whose response headers set the policy of what they load.
const POLICY_DESTINATIONS: ReadonlySet<string> = new Set(['document', 'iframe', 'frame', 'embed', 'object', 'worker', 'sharedworker']);

/** Where swarmcdn's own routes live: never served from peers (the manifest, sw.js, signalling…). */
export { SWARMCDN_PREFIX };

/**
 * True when the page asked for credentials: `fetch(url, { credentials: 'include' })`, an XHR with
 * withCredentials, an element with crossorigin="use-credentials" — all CORS-mode requests. An
 * element without a crossorigin attribute (`<img>`, `<script>`, `<video>`…) is a no-cors request
 * whose credentials mode is 'include' by default (the Fetch standard's default for elements): the
 * page asked for nothing, and refusing those would keep every ordinary page asset off the swarm.
 */
function optedIntoCredentials(request: RequestShape): boolean {
  return request.credentials === 'include' && request.mode !== 'no-cors' && request.mode !== 'navigate';
}

/**
 * The manifest entry a request may be answered with, or undefined when the request must go to the
 * network: not a GET, another origin, a request that opted into credentials, a navigation (unless
 * allowed), an Authorization header, a query string (only exact manifest URLs: the origin may answer
 * `?w=200` with other bytes), a path that is not in canonical manifest form or names no manifest
 * file, or anything under /swarmcdn/.
 */
export function matchSwarmRequest(
  request: RequestShape,
  selfOrigin: string,
  files: Readonly<Record<string, ManifestFile>> | undefined,
  options: MatchOptions = {},
): SwarmMatch | undefined {
  if (!files || request.method !== 'GET') return undefined;
  // A request that says it carries credentials or authorization may be personal: never to peers.
  if (request.headers.has('authorization')) return undefined;
  if (optedIntoCredentials(request)) return undefined;
  if (!options.documents && (request.mode === 'navigate' || POLICY_DESTINATIONS.has(request.destination ?? ''))) return undefined;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return undefined;
  }
  if (url.origin !== selfOrigin || url.search !== '') return undefined;
  const path = canonicalUrlPath(url.pathname);
  if (path === undefined || path.startsWith(SWARMCDN_PREFIX) || url.pathname.startsWith(SWARMCDN_PREFIX)) return undefined;
  if (!Object.hasOwn(files, path)) return undefined;
  const file = files[path];
  return file ? { path, file } : undefined;
}
