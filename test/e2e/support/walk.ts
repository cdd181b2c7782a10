/**
 * A visitor walking real pages: each page is a navigation (a new page, its parser asking for its
 * stylesheets and scripts before any script of ours runs), and every response for a listed file
 * is captured with the SHA-256 of its body, so a test checks that what the page got is byte for
 * byte the file, wherever it came from.
 */
import { createHash } from 'node:crypto';
import type { Response as PwResponse } from 'playwright-core';
import type { Visitor } from './visitor.js';
import { withTimeout } from './wait.js';

/** One response a page got. */
export interface PageResponse {
  readonly status: number;
  readonly size: number;
  readonly sha256: string;
}

/** One page of a walk. */
export interface PageVisit {
  readonly path: string;
  /** loadEventEnd of the navigation, ms. */
  readonly loadMs: number;
  /** Responses for the watched paths, by path (the last one when a path was loaded twice). */
  readonly responses: ReadonlyMap<string, PageResponse>;
}

/** Navigates the visitor's page to `base + path`, waits for load, and captures the watched paths' bodies. */
export async function visitPage(visitor: Visitor, base: string, path: string, watched: ReadonlySet<string>, timeoutMs = 20_000): Promise<PageVisit> {
  const responses = new Map<string, PageResponse>();
  const bodies: Promise<void>[] = [];
  const onResponse = (response: PwResponse): void => {
    const url = new URL(response.url());
    if (url.origin !== base || !watched.has(url.pathname)) return;
    bodies.push(
      response.body().then(
        (body) => void responses.set(url.pathname, { status: response.status(), size: body.length, sha256: createHash('sha256').update(body).digest('hex') }),
        () => void responses.set(url.pathname, { status: response.status(), size: -1, sha256: 'body unavailable' }),
      ),
    );
  };
  visitor.page.on('response', onResponse);
  try {
    await visitor.page.goto(`${base}${path}`, { timeout: timeoutMs, waitUntil: 'load' });
    await withTimeout(Promise.all(bodies), timeoutMs, `${visitor.name}: bodies of ${path}`);
  } finally {
    visitor.page.off('response', onResponse);
  }
  const loadMs = await visitor.page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ?? -1);
  return { path, loadMs, responses };
}
