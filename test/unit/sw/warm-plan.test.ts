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
};
const paths = (planned: readonly Sha256Sri[]): string[] => planned.map((h) => Object.keys(files).find((p) => files[p]!.integrity === h)!);

describe('warmPlan', () => {
  it('names the page\'s own files in its order: held, not cached, at least minPeerBytes, each once, at most four', () => {
    expect(WARM_PLAN_FILES).toBe(4);
    expect(paths(warmPlan(manifest, '/', facts))).toEqual(['/a.js', '/b.woff2', '/c.png', '/d.png']);
    expect(paths(warmPlan(manifest, '/index.html', { ...facts, minPeerBytes: 95_000 }))).toEqual(['/a.js']);
  });

  it('names nothing for a page the manifest does not list, or a manifest without pages', () => {
    expect(warmPlan(manifest, '/other.html', facts)).toEqual([]);
    expect(warmPlan({ ...manifest, pages: undefined }, '/', facts)).toEqual([]);
  });
});
