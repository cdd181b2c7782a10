/**
 * The browser's own HTTP cache, asked before the SW's IndexedDB: a file this visitor loaded from the
 * origin is usually still there, fresh, and it answers in a fraction of the time an IndexedDB read
 * and a re-hash take (the SW's responses never populate it, so this only finds what came from the
 * origin). `only-if-cached` never touches the network but returns stale entries too, so freshness is
 * checked here by the response's own Date, Age and max-age, as the browser would before using it.
 */

/** What the probe needs: a fetch that goes through the SW's handler (Workbox plugins see it). */
export type ProbeFetch = (request: Request) => Promise<Response>;

/** Seconds of `max-age` (or `s-maxage` is ignored: a browser is a private cache), undefined when none or `no-cache`/`no-store`. */
function maxAge(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-cache' || d === 'no-store')) return undefined;
  const found = directives.find((d) => d.startsWith('max-age='));
  const seconds = found ? Number(found.slice('max-age='.length)) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** True when a cached response is still fresh at `now` (ms) by its Date, Age and max-age. */
export function isFresh(headers: Headers, now: number): boolean {
  const lifetime = maxAge(headers.get('cache-control'));
  const date = Date.parse(headers.get('date') ?? '');
  if (lifetime === undefined || !Number.isFinite(date)) return false;
  const age = Math.max(0, (now - date) / 1000) + Math.max(0, Number(headers.get('age')) || 0);
  return age < lifetime;
}

/**
 * The whole file from the HTTP cache when it holds a fresh 200 of the expected length, else
 * undefined (never the network, never a rejection).
 */
export async function fromHttpCache(url: string, size: number, fetchVia: ProbeFetch): Promise<Response | undefined> {
  let response: Response;
  try {
    response = await fetchVia(new Request(url, { cache: 'only-if-cached', mode: 'same-origin', credentials: 'same-origin' }));
  } catch {
    return undefined;
  }
  const length = response.headers.get('content-length');
  // A compressed entry's length is the encoded one: only an identity length can be checked.
  const lengthOk = length === null || response.headers.has('content-encoding') || Number(length) === size;
  if (response.status !== 200 || !lengthOk || !isFresh(response.headers, Date.now())) {
    void response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  return response;
}
