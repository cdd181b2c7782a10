/**
 * The origin's pace, read from the SW's own Resource Timing rather than from its bodies: a whole
 * manifest file the origin sent over the network is one sample of file bytes per ms after its
 * headers (OriginTiming.recordBody, the rate hedge's yardstick). The origin's answers go to the
 * page as they are, a native pass-through; counting their bytes in a TransformStream put every
 * chunk of every large origin body (Pyodide's 9.6 MB wasm) through the SW's JavaScript on its way
 * to the page. An entry whose body came from the HTTP cache (transferSize 0, or only a 304's
 * headers), one cut short (fewer bytes than the file: the page stopped reading) or a Range answer
 * says nothing about the origin's pace and is not sampled.
 */
import { canonicalUrlPath } from '../protocol/index.js';
import type { OriginTiming } from './origin-timing.js';

/** The fields of a PerformanceResourceTiming entry a sample needs. */
export interface ResourceEntryLike {
  readonly name: string;
  readonly transferSize: number;
  readonly encodedBodySize: number;
  readonly decodedBodySize: number;
  readonly responseStart: number;
  readonly responseEnd: number;
}

/** The manifest's size of the file at a same-origin URL, or undefined when it is not a manifest file. */
export type ManifestSize = (url: URL) => number | undefined;

/** One pace sample (file bytes, ms after the headers), or undefined when the entry is not a whole manifest file from the network. */
export function paceSample(entry: ResourceEntryLike, origin: string, sizeOf: ManifestSize): { bytes: number; ms: number } | undefined {
  let url: URL;
  try {
    url = new URL(entry.name);
  } catch {
    return undefined;
  }
  if (url.origin !== origin || url.search !== '') return undefined;
  const size = sizeOf(url);
  // The body itself came over the network: not the HTTP cache (transferSize 0), nor a 304 that revalidated it (headers only).
  if (size === undefined || entry.decodedBodySize !== size || entry.transferSize <= entry.encodedBodySize) return undefined;
  const ms = entry.responseEnd - entry.responseStart;
  return ms > 0 ? { bytes: size, ms } : undefined;
}

/** The manifest lookup for paceSample: the file at the URL's canonical path in `files`. */
export function manifestSize(files: () => Readonly<Record<string, { readonly size: number }>> | undefined): ManifestSize {
  return (url) => {
    const path = canonicalUrlPath(url.pathname);
    const all = files();
    return path !== undefined && all && Object.hasOwn(all, path) ? all[path]!.size : undefined;
  };
}

/** Feeds `timing` a sample from every whole manifest file the SW fetches from the origin; a no-op where Resource Timing is missing. */
export function observeOriginPace(timing: Pick<OriginTiming, 'recordBody'>, origin: string, sizeOf: ManifestSize): void {
  if (typeof PerformanceObserver === 'undefined' || !PerformanceObserver.supportedEntryTypes?.includes('resource')) return;
  // Entries reach an observer whether or not the timeline's buffer has room: nothing to clear.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
      const sample = paceSample(entry, origin, sizeOf);
      if (sample) timing.recordBody(sample.bytes, sample.ms);
    }
  }).observe({ type: 'resource' });
}
