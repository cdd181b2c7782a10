/**
 * One visitor's walk through a site: the landing page (outside the walk; with the SW, the bench
 * waits there for `swarm.ready`, as a visitor reads a first page, so the walk's pages are
 * controlled), then each walk page: navigation start to `loadEventEnd`, or to the site's ready
 * condition when it has one and it comes later, then a short dwell. It also records which
 * manifest files the pages used, the slowest requests by Resource Timing, and optionally hashes
 * every manifest-file response against the original bytes. Every wait is bounded.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'playwright-core';
import { swarmStats, waitForSwarm, withTimeout, type Visitor } from '../p2p/browser.js';
import type { SiteLayout } from './site-types.js';

/** One request by Resource Timing, times from navigation start. */
export interface ResourceEntry {
  readonly path: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Request start to first byte. */
  readonly waitMs: number;
  readonly bytes: number;
  /** Went through the page's SW (workerStart > 0; the SW may still have passed it to the network). */
  readonly viaSw: boolean;
}

/** One walk page. */
export interface PageTiming {
  readonly path: string;
  /** max(loadEventEnd, ready) from navigation start; NaN when the page failed. */
  readonly ms: number;
  readonly loadMs: number;
  /** domContentLoadedEventEnd: the parser done, blocking scripts (bridge.js among them) run. */
  readonly dclMs: number;
  /** The HTML's responseEnd. */
  readonly documentMs: number;
  readonly readyMs: number | undefined;
  /** A SW controlled the page. */
  readonly controlled: boolean;
  readonly slowest: readonly ResourceEntry[];
  readonly error: string | undefined;
}

/** What hashing every manifest-file response found. */
export interface VerifyResult {
  readonly checked: number;
  readonly identical: number;
  /** `path: why` for every response that was not complete and byte-identical. */
  readonly problems: string[];
}

/** A whole walk. */
export interface WalkResult {
  readonly visitor: string;
  readonly pages: readonly PageTiming[];
  /** Manifest paths the walk's pages requested (navigations excluded). */
  readonly used: ReadonlySet<string>;
  readonly verify: VerifyResult | undefined;
  /** `swarm.stats()` at the end (with the SW), or why it could not be read. */
  readonly stats: unknown;
  readonly problems: readonly string[];
}

/** How to walk. */
export interface WalkOptions {
  readonly origin: string;
  readonly site: SiteLayout;
  readonly withSw: boolean;
  /** Wait on the landing page until some SW controls it (the ceiling row's bare SW). */
  readonly waitControlled?: boolean;
  /** URL path → size of each manifest file. */
  readonly manifestSizes: ReadonlyMap<string, number>;
  readonly pageTimeoutMs: number;
  /** The pause on the landing page (after `swarm.ready`) and after each walk page: a visitor reading. */
  readonly dwellMs: number;
  /** Hash every manifest-file response: the base64 SHA-256 of each file, and its bytes for a 206. */
  readonly verify?: { readonly sha256: ReadonlyMap<string, string>; readonly bytes: (path: string) => Buffer };
}

const SLOWEST = 5;
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

/**
 * A response whose body devtools no longer has: a resource the page took from the browser's memory
 * cache (a SW answer carries the origin's max-age, so the next page reuses it). It is checked after
 * the walk by fetching the path in the page, through the SW.
 */
const UNREAD = 'body unavailable';

/** Hashes one response; resolves to a problem, or undefined when complete and identical. */
async function checkResponse(response: Response, path: string, verify: NonNullable<WalkOptions['verify']>): Promise<string | undefined> {
  const status = response.status();
  if (status !== 200 && status !== 206) return `HTTP ${status}`;
  let body: Buffer;
  try {
    body = await withTimeout(response.body(), 30_000, `${path}: body`);
  } catch {
    return UNREAD;
  }
  if (status === 200) return sha256(body) === verify.sha256.get(path) ? undefined : `200 with ${body.length} bytes that differ from the file`;
  const range = /^bytes (\d+)-(\d+)\//.exec((await response.allHeaders())['content-range'] ?? '');
  if (!range) return '206 without a Content-Range';
  const expected = verify.bytes(path).subarray(Number(range[1]), Number(range[2]) + 1);
  return body.equals(expected) ? undefined : `206 ${range[1]}-${range[2]} differs from the file`;
}

/** Navigation timing, the ready condition, SW control and the slowest requests of the current page. */
async function measurePage(visitor: Visitor, site: SiteLayout, timeoutMs: number): Promise<Omit<PageTiming, 'path' | 'error' | 'ms'>> {
  const readyMs = site.ready === undefined ? undefined : await withTimeout(visitor.page.evaluate(site.ready) as Promise<number>, timeoutMs, `${visitor.name}: ready`);
  return withTimeout(
    visitor.page.evaluate(async (slowest: number) => {
      let nav: PerformanceNavigationTiming | undefined;
      // loadEventEnd is set just after the load handlers return, which can be after goto resolves.
      for (let i = 0; i < 100 && !(nav && nav.loadEventEnd > 0); i++) {
        nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        if (!(nav && nav.loadEventEnd > 0)) await new Promise((r) => setTimeout(r, 20));
      }
      if (!nav || nav.loadEventEnd <= 0) throw new Error('no loadEventEnd in the navigation timing entry');
      // The page's own origin only (other hosts fail at once here), longest first.
      const entries = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((e) => new URL(e.name).origin === location.origin)
        .map((e) => ({ path: new URL(e.name).pathname, startMs: e.startTime, endMs: e.responseEnd, waitMs: e.responseStart - e.startTime, bytes: e.encodedBodySize, viaSw: e.workerStart > 0 }))
        .sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs));
      return {
        loadMs: nav.loadEventEnd - nav.startTime,
        dclMs: nav.domContentLoadedEventEnd - nav.startTime,
        documentMs: nav.responseEnd - nav.startTime,
        controlled: Boolean(navigator.serviceWorker?.controller),
        slowest: entries.slice(0, slowest),
      };
    }, SLOWEST),
    10_000,
    `${visitor.name}: navigation timing`,
  ).then((t) => ({ ...t, readyMs }));
}

/** Each response devtools could not read, fetched again in the page (through the SW) and hashed. */
async function recheckUnread(visitor: Visitor, paths: ReadonlyMap<string, number>, tally: { identical: number; problems: string[] }, verify: NonNullable<WalkOptions['verify']>): Promise<void> {
  for (const [path, responses] of paths) {
    const got = await withTimeout(
      visitor.page.evaluate(async (p: string) => {
        const response = await fetch(p);
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
        return { status: response.status, sha256: btoa(String.fromCharCode(...digest)) };
      }, path),
      30_000,
      `${visitor.name}: re-reading ${path}`,
    ).catch((error: unknown) => ({ status: 0, sha256: String(error) }));
    if (got.status === 200 && got.sha256 === verify.sha256.get(path)) tally.identical += responses;
    else tally.problems.push(`${path}: memory-cached response, re-read through the SW: HTTP ${got.status}, ${got.status === 200 ? 'bytes differ' : got.sha256}`);
  }
}

/** Walks the site as `visitor` (a fresh context with its visitor cookie set). */
export async function walkSite(visitor: Visitor, options: WalkOptions): Promise<WalkResult> {
  const { origin, site, manifestSizes } = options;
  const used = new Set<string>();
  const problems: string[] = [];
  const checks: Promise<void>[] = [];
  const verify: { checked: number; identical: number; problems: string[] } | undefined = options.verify ? { checked: 0, identical: 0, problems: [] } : undefined;
  /** Responses devtools could not read, by path: each counts once it is re-read. */
  const unread = new Map<string, number>();
  const sitePath = (url: string): string | undefined => {
    const u = new URL(url);
    return u.origin === origin && u.search === '' && manifestSizes.has(u.pathname) ? u.pathname : undefined;
  };
  const onRequest = (request: Request): void => {
    const path = sitePath(request.url());
    if (path !== undefined && !request.isNavigationRequest()) used.add(path);
  };
  const onResponse = (response: Response): void => {
    const path = sitePath(response.url());
    if (!verify || !options.verify || path === undefined || response.request().isNavigationRequest()) return;
    const v = verify;
    v.checked++;
    checks.push(
      checkResponse(response, path, options.verify).then((problem) => {
        if (problem === undefined) v.identical++;
        else if (problem === UNREAD) unread.set(path, (unread.get(path) ?? 0) + 1);
        else v.problems.push(`${path}: ${problem}`);
      }),
    );
  };
  const onFailed = (request: Request): void => {
    const path = sitePath(request.url());
    if (path !== undefined && verify) verify.problems.push(`${path}: request failed (${request.failure()?.errorText ?? 'unknown'})`);
  };

  await visitor.page.goto(origin + site.landing, { waitUntil: 'load', timeout: options.pageTimeoutMs });
  if (options.withSw) {
    try {
      await waitForSwarm(visitor, 20_000);
    } catch (error) {
      problems.push(`landing: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (options.waitControlled) {
    await visitor.page.waitForFunction(() => Boolean(navigator.serviceWorker?.controller), undefined, { timeout: 20_000 }).catch(() => problems.push('landing: no SW took control'));
  }
  await idle(options.dwellMs);
  visitor.page.on('request', onRequest);
  visitor.page.on('response', onResponse);
  visitor.page.on('requestfailed', onFailed);
  const pages: PageTiming[] = [];
  try {
    for (const path of site.walk) {
      try {
        await visitor.page.goto(origin + path, { waitUntil: 'load', timeout: options.pageTimeoutMs });
        const t = await measurePage(visitor, site, options.pageTimeoutMs);
        pages.push({ path, ...t, ms: Math.max(t.loadMs, t.readyMs ?? 0), error: undefined });
        if (options.withSw && !t.controlled) problems.push(`${path}: no SW controlled the page`);
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        pages.push({ path, ms: Number.NaN, loadMs: Number.NaN, dclMs: Number.NaN, documentMs: Number.NaN, readyMs: undefined, controlled: false, slowest: [], error: message });
        problems.push(`${path}: ${message}`);
      }
      // Bodies are only readable while their page is current: settle the checks before moving on.
      await Promise.allSettled(checks.splice(0));
      await idle(options.dwellMs);
    }
  } finally {
    visitor.page.off('request', onRequest);
    visitor.page.off('response', onResponse);
    visitor.page.off('requestfailed', onFailed);
  }
  if (verify && options.verify) await recheckUnread(visitor, unread, verify, options.verify);
  let stats: unknown;
  if (options.withSw) stats = await swarmStats(visitor).catch((error: unknown) => `unavailable: ${error instanceof Error ? error.message : String(error)}`);
  return { visitor: visitor.name, pages, used, verify, stats, problems };
}
