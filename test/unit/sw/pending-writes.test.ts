/**
 * Write-behind: a response's verified chunks reach the cache when it ends, within the SW's byte
 * budget; past the budget they are written as they come, and a file tainted meanwhile is not written.
 */
import { describe, expect, it } from '@jest/globals';
import type { ManifestFile, Sha256Sri } from '../../../protocol/index.js';
import { ChunkWrites, WriteBehind } from '../../../sw/pending-writes.js';

const FILE: ManifestFile = {
  size: 4096,
  contentType: 'application/octet-stream',
  integrity: 'sha256-file' as Sha256Sri,
  chunks: ['sha256-a', 'sha256-b', 'sha256-c', 'sha256-d'] as Sha256Sri[],
};

function fakeCache(): { written: number[]; tainted: Set<Sha256Sri>; cache: ConstructorParameters<typeof ChunkWrites>[0] } {
  const written: number[] = [];
  const tainted = new Set<Sha256Sri>();
  return {
    written,
    tainted,
    cache: {
      isTainted: (file) => tainted.has(file),
      storeChunk: async (_shape, index) => void written.push(index),
    },
  };
}

const chunk = (): Uint8Array => new Uint8Array(1024).fill(7);

describe('ChunkWrites with write-behind', () => {
  it('holds chunks back until the response ends, then writes them in order and gives the budget back', async () => {
    const { written, cache } = fakeCache();
    const budget = new WriteBehind(4096);
    const writes = new ChunkWrites(cache, FILE, 1024, () => undefined, budget);
    for (const index of [0, 1, 2]) writes.store(index, chunk());
    await new Promise((r) => setTimeout(r, 10));
    expect(written).toEqual([]);
    expect(budget.heldBytes).toBe(3072);
    await writes.settled();
    expect(written).toEqual([0, 1, 2]);
    expect(budget.heldBytes).toBe(0);
  });

  it('writes at once what does not fit the budget, which every response shares', async () => {
    const { written, cache } = fakeCache();
    const budget = new WriteBehind(2048);
    const first = new ChunkWrites(cache, FILE, 1024, () => undefined, budget);
    const second = new ChunkWrites(cache, FILE, 1024, () => undefined, budget);
    first.store(0, chunk());
    second.store(1, chunk());
    second.store(2, chunk());
    await second.settled();
    // Chunk 2 did not fit (0 and 1 held): written as it came; 1 with its response's end; 0 not yet.
    expect(written).toEqual([2, 1]);
    await first.settled();
    expect(written).toEqual([2, 1, 0]);
  });

  it('writes nothing held for a file tainted before the response ended', async () => {
    const { written, tainted, cache } = fakeCache();
    const budget = new WriteBehind(4096);
    const writes = new ChunkWrites(cache, FILE, 1024, () => undefined, budget);
    writes.store(0, chunk());
    tainted.add(FILE.integrity);
    await writes.settled();
    expect(written).toEqual([]);
    expect(budget.heldBytes).toBe(0);
  });

  it('without a budget writes every chunk as it comes', async () => {
    const { written, cache } = fakeCache();
    const writes = new ChunkWrites(cache, FILE, 1024, () => undefined);
    writes.store(3, chunk());
    await new Promise((r) => setTimeout(r, 0));
    expect(written).toEqual([3]);
  });
});
