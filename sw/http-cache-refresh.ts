/**
 * A manifest switch must never let an old file's bytes answer a path whose content changed. The
 * SW's own stores are safe by construction (chunks and file records are keyed by hash, and every
 * request looks its path up in the manifest current when it arrives), but the browser's HTTP cache
 * is keyed by URL: a file this visitor loaded from the origin a minute ago is still fresh there
 * (`max-age`), and both the SW's cache probe (only-if-cached) and its origin route (an ordinary
 * fetch, which takes a fresh entry without asking the server) would answer the new path with it.
 *
 * So before a new manifest becomes current, every path it lists with other content than the
 * manifest it replaces (changed or new) that the HTTP cache holds and may still deem fresh is
 * revalidated (`cache: 'no-cache'`: a conditional request, 304 when the entry already holds the new
 * bytes, else the new bytes replace it). Only entries the browser would use without asking are
 * touched: a path this visitor never loaded from the origin costs one local cache lookup, nothing
 * on the network. What stays open: an origin that cannot be reached leaves such an entry as it was.
 */
import type { Manifest } from '../protocol/index.js';

/** Lookups and revalidations at once: the cache lookups are local; revalidations are the origin's, few at a time. */
const CONCURRENCY = 6;
/** One revalidation (and reading its body to the end) gets this long; an origin that takes longer is treated as unreachable. */
const REVALIDATE_TIMEOUT_MS = 10_000;

/** What a refresh needs: the SW's fetch (it bypasses the SW's own handler) and the site's origin. */
export interface RefreshDeps {
  readonly fetch: (request: Request) => Promise<Response>;
  /** The site's origin (the SW's): manifest paths are URL paths on it. */
  readonly origin: string;
  readonly now?: () => number;
}

/** Paths `next` lists with other content than `previous` (changed or new); none when there is no previous manifest. */
export function changedPaths(previous: Manifest | undefined, next: Manifest): string[] {
  if (!previous) return [];
  return Object.keys(next.files).filter((path) => previous.files[path]?.integrity !== next.files[path]!.integrity);
}

/**
 * True unless the cached response is certainly not used without asking the server: `no-cache` or
 * `no-store`, or a `max-age` it has outlived (by its Date and Age). Without `max-age` a browser may
 * apply heuristic freshness (Last-Modified, Expires), so such an entry counts as fresh.
 */
export function mayBeFresh(headers: Headers, now: number): boolean {
  const directives = (headers.get('cache-control') ?? '').toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-cache' || d === 'no-store')) return false;
  const maxAge = directives.find((d) => d.startsWith('max-age='));
  if (maxAge === undefined) return true;
  const lifetime = Number(maxAge.slice('max-age='.length));
  const date = Date.parse(headers.get('date') ?? '');
  if (!Number.isFinite(lifetime) || !Number.isFinite(date)) return true;
  const age = Math.max(0, (now - date) / 1000) + Math.max(0, Number(headers.get('age')) || 0);
  return age < lifetime;
}

/** Reads a body to its end (so the HTTP cache stores the whole entry), or gives up on `signal`. */
async function drain(response: Response, signal: AbortSignal): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  const stop = (): void => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    while (!(await reader.read()).done);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** Revalidates one path's HTTP cache entry when it holds one the browser may use as fresh; true when it did. */
async function refreshOne(path: string, deps: RefreshDeps): Promise<boolean> {
  const url = new URL(path, deps.origin).href;
  const init: RequestInit = { mode: 'same-origin', credentials: 'same-origin' };
  let cached: Response;
  try {
    cached = await deps.fetch(new Request(url, { ...init, cache: 'only-if-cached' }));
  } catch {
    return false; // nothing cached (only-if-cached fails without an entry)
  }
  void cached.body?.cancel().catch(() => undefined);
  if (!cached.ok || !mayBeFresh(cached.headers, (deps.now ?? Date.now)())) return false;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REVALIDATE_TIMEOUT_MS);
  try {
    await drain(await deps.fetch(new Request(url, { ...init, cache: 'no-cache', signal: abort.signal })), abort.signal);
    return true;
  } catch {
    return false; // unreachable origin: the entry stays as it was
  } finally {
    clearTimeout(timer);
  }
}

/** Revalidates the HTTP cache entries of `paths` that the browser may use as fresh; resolves to how many were revalidated. Never rejects. */
export async function refreshChanged(paths: readonly string[], deps: RefreshDeps): Promise<number> {
  let next = 0;
  let refreshed = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      if (await refreshOne(path, deps).catch(() => false)) refreshed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, paths.length) }, worker));
  return refreshed;
}
