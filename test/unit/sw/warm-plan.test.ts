/** What a page's bridge connects for while the page loads: its own files, held by peers, not cached, big enough for peers, at most four. */
import { describe, expect, it } from '@jest/globals';
import type { Manifest, ManifestFile, Sha256Sri } from '../../../protocol/index.js';
import { file, manifestOf } from './plan-fixture.js';
import { WARM_PLAN_FILES, warmPlan, type WarmFacts } from '../../../sw/warm-plan.js';

const files: Record<string, ManifestFile> = {
  '/index.html': file(1, 100),
  '/small.css': file(2, 1_000),
  '/a.js': file(3, 200_000),
  '/b.woff2': file(4, 90_000),
  '/cached.png': file(5, 300_000),
  '/nobody.jpg': file(6, 500_000),
  '/c.png': file(7, 70_000),
  '/d.png': file(8, 80_000),
  '/e.png': file(9, 90_000),
};
const manifest: Manifest = manifestOf(files, { '/index.html': ['/small.css', '/a.js', '/cached.png', '/nobody.jpg', '/b.woff2', '/a.js', '/c.png', '/d.png', '/e.png'] });
const facts: WarmFacts = {
  holders: (f) => (f === files['/nobody.jpg']!.integrity ? 0 : 3),
  skip: (f) => f.integrity === files['/cached.png']!.integrity,
  minPeerBytes: 65_536,
  mostHeld: () => [],
};
const paths = (planned: readonly Sha256Sri[]): string[] => planned.map((h) => Object.keys(files).find((p) => files[p]!.integrity === h)!);

describe('warmPlan', () => {
  it('names the page\'s own files in its order: held, not cached, at least minPeerBytes, each once, at most four', () => {
    expect(WARM_PLAN_FILES).toBe(4);
    expect(paths(warmPlan(manifest, '/', facts))).toEqual(['/a.js', '/b.woff2', '/c.png', '/d.png']);
    expect(paths(warmPlan(manifest, '/index.html', { ...facts, minPeerBytes: 95_000 }))).toEqual(['/a.js']);
  });

  it('names nothing of its own for a page the manifest does not list, or a manifest without pages', () => {
    expect(warmPlan(manifest, '/other.html', facts)).toEqual([]);
    expect(warmPlan({ ...manifest, pages: undefined }, '/', facts)).toEqual([]);
  });

  it('fills up with the site\'s most-held files, by the same rules, when the page\'s own name fewer than four', () => {
    const hash = (path: string): Sha256Sri => files[path]!.integrity;
    // Most held first: a small file, a cached one, one nobody holds, then usable ones, one of them the page's own again.
    const mostHeld = () => ['/small.css', '/cached.png', '/nobody.jpg', '/e.png', '/a.js', '/d.png', '/c.png'].map(hash);
    const few = { ...facts, minPeerBytes: 95_000, mostHeld };
    // The page's own: only /a.js is big enough; then the most held that are big enough: none but /a.js.
    expect(paths(warmPlan(manifest, '/', few))).toEqual(['/a.js']);
    // A page the manifest lists nothing for (a script inserts its assets): the most held alone, in their order.
    expect(paths(warmPlan(manifest, '/other.html', { ...facts, mostHeld }))).toEqual(['/e.png', '/a.js', '/d.png', '/c.png']);
    expect(paths(warmPlan({ ...manifest, pages: undefined }, '/', { ...facts, mostHeld }))).toEqual(['/e.png', '/a.js', '/d.png', '/c.png']);
    // The page's own come first; the rest is filled from the most held.
    expect(paths(warmPlan(manifest, '/', { ...facts, minPeerBytes: 150_000, mostHeld }))).toEqual(['/a.js']);
    expect(paths(warmPlan(manifest, '/', { ...facts, minPeerBytes: 85_000, mostHeld }))).toEqual(['/a.js', '/b.woff2', '/e.png']);
    // Nobody holds anything: an empty plan, so no connection.
    expect(warmPlan(manifest, '/other.html', { ...facts, holders: () => 0, mostHeld })).toEqual([]);
  });
});
