/**
 * Before a manifest switch, the HTTP cache entries of changed paths that the browser may still use
 * without asking are revalidated (http-cache-refresh.ts): which paths count as changed, which
 * entries may be fresh, and that only those are revalidated (a fake fetch plays the HTTP cache).
 */
import { describe, expect, it } from '@jest/globals';
import { MANIFEST_TYPE, type Manifest, type ManifestFile, type Sha256Sri } from '../../../protocol/index.js';
import { changedPaths, mayBeFresh, refreshChanged } from '../../../sw/http-cache-refresh.js';

const sri = (c: string): Sha256Sri => `sha256-${c.repeat(43)}=`;
const file = (c: string): ManifestFile => ({ size: 10, contentType: 'text/plain', integrity: sri(c), chunks: [sri(c)] });

function manifest(version: number, files: Record<string, string>): Manifest {
  return {
    type: MANIFEST_TYPE,
    version,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2099-01-01T00:00:00.000Z',
    chunkSize: 1024,
    files: Object.fromEntries(Object.entries(files).map(([path, c]) => [path, file(c)])),
  };
}

describe('changedPaths', () => {
  it('lists paths with other content and new paths; not unchanged or removed ones', () => {
    const previous = manifest(1, { '/same.js': 'A', '/changed.css': 'B', '/gone.png': 'C' });
    const next = manifest(2, { '/same.js': 'A', '/changed.css': 'D', '/new.png': 'E' });
    expect(changedPaths(previous, next).sort()).toEqual(['/changed.css', '/new.png']);
  });

  it('lists nothing for a first manifest: there is nothing it replaces', () => {
    expect(changedPaths(undefined, manifest(1, { '/a': 'A' }))).toEqual([]);
  });
});

describe('mayBeFresh', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  const headers = (init: Record<string, string>): Headers => new Headers(init);

  it('is true within max-age (by Date and Age), false past it', () => {
    expect(mayBeFresh(headers({ 'cache-control': 'public, max-age=300', date: new Date(now - 100_000).toUTCString() }), now)).toBe(true);
    expect(mayBeFresh(headers({ 'cache-control': 'public, max-age=300', date: new Date(now - 100_000).toUTCString(), age: '250' }), now)).toBe(false);
    expect(mayBeFresh(headers({ 'cache-control': 'max-age=300', date: new Date(now - 400_000).toUTCString() }), now)).toBe(false);
  });

  it('is false for no-cache and no-store (the browser asks the server anyway)', () => {
    expect(mayBeFresh(headers({ 'cache-control': 'no-cache' }), now)).toBe(false);
    expect(mayBeFresh(headers({ 'cache-control': 'max-age=300, no-store', date: new Date(now).toUTCString() }), now)).toBe(false);
  });

  it('is true without max-age: a browser may apply heuristic freshness', () => {
    expect(mayBeFresh(headers({ 'last-modified': new Date(now - 86_400_000).toUTCString() }), now)).toBe(true);
    expect(mayBeFresh(headers({}), now)).toBe(true);
  });
});

describe('refreshChanged', () => {
  const ORIGIN = 'https://site.test';
  const now = Date.now();

  /** A fake HTTP cache: entries by URL; a lookup without one fails as only-if-cached does. */
  function fakeFetch(entries: Record<string, Record<string, string>>, options: { revalidateFails?: boolean } = {}) {
    const calls: { url: string; cache: RequestCache }[] = [];
    const fetch = async (request: Request): Promise<Response> => {
      calls.push({ url: request.url, cache: request.cache });
      if (request.cache === 'only-if-cached') {
        const headers = entries[request.url];
        if (!headers) throw new TypeError('Failed to fetch');
        return new Response('old bytes', { status: 200, headers });
      }
      if (options.revalidateFails) throw new TypeError('Failed to fetch');
      return new Response('new bytes', { status: 200 });
    };
    return { fetch, calls };
  }

  it('revalidates (no-cache) only the changed paths whose entries may be fresh; the rest cost one cache lookup', async () => {
    const fresh = { 'cache-control': 'public, max-age=300', date: new Date(now - 1_000).toUTCString() };
    const stale = { 'cache-control': 'public, max-age=300', date: new Date(now - 600_000).toUTCString() };
    const { fetch, calls } = fakeFetch({ [`${ORIGIN}/fresh.js`]: fresh, [`${ORIGIN}/stale.js`]: stale, [`${ORIGIN}/page.html`]: { 'cache-control': 'no-cache' } });
    const refreshed = await refreshChanged(['/fresh.js', '/stale.js', '/page.html', '/never-loaded.png'], { fetch, origin: ORIGIN });
    expect(refreshed).toBe(1);
    expect(calls.filter((c) => c.cache === 'no-cache').map((c) => c.url)).toEqual([`${ORIGIN}/fresh.js`]);
    expect(calls.filter((c) => c.cache === 'only-if-cached').map((c) => c.url).sort()).toEqual(
      ['/fresh.js', '/never-loaded.png', '/page.html', '/stale.js'].map((p) => `${ORIGIN}${p}`),
    );
  });

  it('never rejects: an unreachable origin leaves the entry and counts nothing', async () => {
    const fresh = { 'cache-control': 'max-age=300', date: new Date(now).toUTCString() };
    const { fetch } = fakeFetch({ [`${ORIGIN}/a.js`]: fresh }, { revalidateFails: true });
    await expect(refreshChanged(['/a.js'], { fetch, origin: ORIGIN })).resolves.toBe(0);
    await expect(refreshChanged([], { fetch, origin: ORIGIN })).resolves.toBe(0);
  });
});
