/** What prefetch fetches: the linked pages' files first, then the most-held, held by peers, not cached, within the budget. */
import { describe, expect, it } from '@jest/globals';
import type { Manifest, ManifestFile } from '../../../protocol/index.js';
import { file, manifestOf, sri } from './plan-fixture.js';
import { planPrefetch, type PrefetchFacts } from '../../../sw/prefetcher.js';


const files: Record<string, ManifestFile> = {
  '/index.html': file(1, 100),
  '/docs/index.html': file(2, 100),
  '/a.css': file(3, 1_000),
  '/b.js': file(4, 2_000),
  '/big.bin': file(5, 50_000),
  '/popular.png': file(6, 500),
  '/cached.png': file(7, 300),
  '/empty.txt': { size: 0, contentType: 'text/plain', integrity: sri(8), chunks: [] },
};
const manifest: Manifest = manifestOf(files, { '/index.html': ['/a.css', '/cached.png'], '/docs/index.html': ['/b.js', '/a.css', '/empty.txt', '/big.bin'] });
const held = (except: readonly string[] = []): PrefetchFacts => ({
  holders: (f) => (except.some((p) => files[p]!.integrity === f) ? 0 : 2),
  mostHeld: () => [sri(6), sri(3), sri(99)],
  skip: (f) => f.integrity === files['/cached.png']!.integrity,
});
const paths = (planned: readonly ManifestFile[]): string[] => planned.map((f) => Object.keys(files).find((p) => files[p] === f)!);

describe('planPrefetch', () => {
  it('takes the pages in order (a directory link finds its index.html), then the most-held files, once each', () => {
    expect(paths(planPrefetch(manifest, ['/', '/docs/'], held(), 1e9))).toEqual(['/a.css', '/b.js', '/big.bin', '/popular.png']);
  });

  it('skips files nobody holds, cached ones, empty ones and unknown pages', () => {
    expect(paths(planPrefetch(manifest, ['/nowhere.html', '/docs/index.html'], held(['/b.js']), 1e9))).toEqual(['/a.css', '/big.bin', '/popular.png']);
  });

  it('stays within the budget, skipping a file too large for what is left', () => {
    expect(paths(planPrefetch(manifest, ['/docs/'], held(), 3_600))).toEqual(['/b.js', '/a.css', '/popular.png']);
    expect(planPrefetch(manifest, ['/docs/'], held(), 0)).toEqual([]);
  });

  it('without page references, prefetches only the most-held files', () => {
    const { pages: _pages, ...bare } = manifest;
    expect(paths(planPrefetch(bare, ['/'], held(), 1e9))).toEqual(['/popular.png', '/a.css']);
  });
});
