/**
 * When and what to prefetch. Once the swarm is ready and the page has loaded and gone idle, the
 * bridge tells the SW this page's path and the same-site pages it links to; the SW prefetches what
 * those pages need from peers (sw/prefetcher.ts). Never under Save-Data, never with a zero budget:
 * prefetch spends the visitor's bandwidth on pages they may not open.
 */
import { MAX_PREFETCH_PAGES } from '../protocol/messages/sw-page.js';

/** After load, wait at most this long for an idle moment (a busy page still gets its prefetch). */
const IDLE_TIMEOUT_MS = 2_000;

/** The page's own path, then the paths of same-origin links without a query, in document order, de-duplicated and bounded. */
export function pageLinks(doc: Pick<Document, 'querySelectorAll'>, here: URL, max: number = MAX_PREFETCH_PAGES): string[] {
  const paths = new Set<string>([here.pathname]);
  for (const element of doc.querySelectorAll('a[href], area[href]')) {
    if (paths.size >= max) break;
    let url: URL;
    try {
      url = new URL(element.getAttribute('href') ?? '', here);
    } catch {
      continue;
    }
    if (url.origin === here.origin && url.search === '') paths.add(url.pathname);
  }
  return [...paths];
}

/** True when the visitor's browser asks to save data (the Save-Data client hint's source). */
export function saveDataOn(nav: Navigator | undefined): boolean {
  const connection = (nav as (Navigator & { connection?: { saveData?: boolean } }) | undefined)?.connection;
  return connection?.saveData === true;
}

/** Calls `send` once: after `ready`, the window's load event and an idle moment. Returns a cancel. */
export function schedulePrefetch(ready: Promise<void>, send: (pages: string[]) => void): () => void {
  let cancelled = false;
  if (typeof window === 'undefined' || typeof document === 'undefined' || saveDataOn(navigator)) return () => undefined;
  const loaded = new Promise<void>((resolve) => {
    if (document.readyState === 'complete') resolve();
    else window.addEventListener('load', () => resolve(), { once: true });
  });
  void Promise.all([ready, loaded]).then(() => {
    const go = (): void => {
      if (!cancelled) send(pageLinks(document, new URL(location.href)));
    };
    if (typeof requestIdleCallback === 'function') requestIdleCallback(go, { timeout: IDLE_TIMEOUT_MS });
    else setTimeout(go, 0);
  });
  return () => {
    cancelled = true;
  };
}
