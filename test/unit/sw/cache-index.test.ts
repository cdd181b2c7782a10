/**
 * The chunk cache's pure index (sw/cache-index.ts): byte and reference counting for chunks shared
 * by files, completeness, LRU eviction order, removal and dropped chunks, records read back at
 * start (broken rows, orphan chunks), and the plan for a batch of stores.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Sha256Sri } from '../../../protocol/index.js';
import { CacheIndex, holdChunk, type StoreJob } from '../../../sw/cache-index.js';
import { emptyRecord, type CachedFileShape, type FileRecord } from '../../../sw/file-record.js';

/** A well-formed SRI value named after `name` (the index never hashes; records read back must parse). */
const sri = (name: string): Sha256Sri => `sha256-${createHash('sha256').update(name).digest('base64')}` as Sha256Sri;

/** A file of `size` bytes cut at `chunkSize`, its chunks named `<name>.<i>` unless given. */
function shape(name: string, size: number, chunkSize: number, chunks?: string[]): CachedFileShape {
  const count = Math.ceil(size / chunkSize);
  return { integrity: sri(name), size, chunkSize, chunks: (chunks ?? Array.from({ length: count }, (_, i) => `${name}.${i}`)).map(sri) };
}

const bytes = (n: number): ArrayBuffer => new ArrayBuffer(n);

/** The record of `s` holding the chunks at `indexes`, last used at `lastUsed`. */
function recordOf(s: CachedFileShape, indexes: number[], lastUsed: number): FileRecord {
  return indexes.reduce((r, i) => holdChunk(r, i, lastUsed), emptyRecord(s, lastUsed));
}

/** Commits the record and the chunk positions it holds, as ChunkCache does after a write. */
function put(index: CacheIndex, record: FileRecord): Sha256Sri[] {
  const before = index.record(record.file);
  const added = record.chunks.flatMap((chunk, i) => (record.held[i] && !before?.held[i] ? [{ chunk, size: Math.min(record.chunkSize, record.size - i * record.chunkSize) }] : []));
  return index.commit([record], added);
}

describe('CacheIndex counts', () => {
  it('counts a chunk shared by two files once, and completes a file when its last chunk lands', () => {
    const index = new CacheIndex();
    const a = shape('a', 250, 100, ['x', 'y', 'a.2']);
    const b = shape('b', 200, 100, ['x', 'b.1']);
    expect(put(index, recordOf(a, [0, 1], 1))).toEqual([]);
    expect(index.storedBytes).toBe(200);
    expect(put(index, recordOf(b, [0], 2))).toEqual([]);
    expect(index.storedBytes).toBe(200); // 'x' is already stored
    expect(index.hasChunk(sri('x'))).toBe(true);
    expect(index.hasChunk(sri('a.2'))).toBe(false);
    expect(put(index, recordOf(a, [0, 1, 2], 3))).toEqual([a.integrity]);
    expect(index.storedBytes).toBe(250); // the last chunk is 50 bytes
    expect(index.record(a.integrity)).toMatchObject({ complete: true, bytesHeld: 250 });
    expect(index.completeFiles()).toEqual([a.integrity]);
    expect(index.completeCount()).toBe(1);
    // Committing an already complete file again reports nothing new.
    expect(index.commit([index.record(a.integrity)!], [])).toEqual([]);
  });

  it('frees a shared chunk only when the last file holding it goes, and withdraws only complete files', () => {
    const index = new CacheIndex();
    const a = shape('a', 200, 100, ['x', 'a.1']);
    const b = shape('b', 200, 100, ['x', 'b.1']);
    put(index, recordOf(a, [0, 1], 1));
    put(index, recordOf(b, [0], 2));
    const first = index.removeFiles([a.integrity]);
    expect(first.withdrawn).toEqual([a.integrity]);
    expect(first.freed).toEqual([sri('a.1')]);
    expect(index.hasChunk(sri('x'))).toBe(true);
    expect(index.storedBytes).toBe(100);
    const second = index.removeFiles([b.integrity, sri('never cached')]);
    expect(second).toEqual({ freed: [sri('x')], withdrawn: [] });
    expect(index.storedBytes).toBe(0);
    expect(index.records()).toEqual([]);
  });

  it('drops a chunk from every record naming it: incomplete again, its bytes no longer counted', () => {
    const index = new CacheIndex();
    const a = shape('a', 200, 100, ['x', 'a.1']);
    const b = shape('b', 100, 100, ['x']);
    put(index, recordOf(a, [0, 1], 1));
    put(index, recordOf(b, [0], 2));
    const next = index.withoutChunk(sri('x'));
    expect(next.map((r) => r.file).sort()).toEqual([a.integrity, b.integrity].sort());
    expect(next.map((r) => [r.complete, r.bytesHeld])).toEqual([
      [false, 100],
      [false, 0],
    ]);
    // Nothing changes until the caller replaces the records and forgets the chunk.
    expect(index.record(a.integrity)!.complete).toBe(true);
    next.forEach((r) => index.replace(r));
    index.forgetChunk(sri('x'));
    expect(index.hasChunk(sri('x'))).toBe(false);
    expect(index.storedBytes).toBe(100);
    expect(index.completeFiles()).toEqual([]);
    expect(index.completeCount()).toBe(0);
  });
});

describe('CacheIndex eviction', () => {
  const files = [shape('old', 100, 100), shape('mid', 100, 100), shape('new', 100, 100)];

  function full(limitBytes: number): CacheIndex {
    const index = new CacheIndex();
    index.limitBytes = limitBytes;
    // Inserted out of LRU order, so the plan must sort by lastUsed.
    put(index, recordOf(files[2]!, [0], 30));
    put(index, recordOf(files[0]!, [0], 10));
    put(index, recordOf(files[1]!, [0], 20));
    return index;
  }

  it('evicts least recently used files first, only as many as the incoming bytes need', () => {
    expect(full(300).planEviction(0, new Set()).evictFiles).toEqual([]);
    expect(full(300).planEviction(100, new Set()).evictFiles).toEqual([files[0]!.integrity]);
    expect(full(300).planEviction(200, new Set()).evictFiles).toEqual([files[0]!.integrity, files[1]!.integrity]);
  });

  it('never evicts a protected file, and says when even that cannot make room', () => {
    const plan = full(300).planEviction(300, new Set([files[1]!.integrity]));
    expect(plan.evictFiles).toEqual([files[0]!.integrity, files[2]!.integrity]);
    expect(plan.fits).toBe(false);
  });

  it('evicts down to a lowered limit', () => {
    const index = full(300);
    index.limitBytes = 150;
    const plan = index.planEviction(0, new Set());
    expect(plan.evictFiles).toEqual([files[0]!.integrity, files[1]!.integrity]);
    expect(plan.fits).toBe(true);
  });

  it('finds a record cut at another chunk size stale', () => {
    const index = new CacheIndex();
    put(index, recordOf(shape('f', 200, 100), [0], 1));
    expect(index.staleRecord(shape('f', 200, 100))).toBeUndefined();
    expect(index.staleRecord(shape('f', 200, 200))?.file).toBe(sri('f'));
    expect(index.staleRecord(shape('g', 200, 200))).toBeUndefined();
  });
});

describe('CacheIndex.load', () => {
  it('keeps records that parse under their own key, rebuilds the counts, and names broken rows and orphan chunks', () => {
    const a = recordOf(shape('a', 250, 100), [0, 2], 5);
    const b = recordOf(shape('b', 100, 100), [0], 6);
    const index = new CacheIndex();
    const broken = index.load([
      [a.file, a],
      [sri('elsewhere'), b], // under another file's key
      ['junk', { file: 'not an sri' }],
      [b.file, { ...b, held: [true, true] }], // held does not match the chunk count
    ]);
    expect(broken).toEqual([sri('elsewhere'), 'junk', b.file]);
    expect(index.records()).toEqual([a]);
    expect(index.storedBytes).toBe(150);
    expect(index.hasChunk(sri('a.0'))).toBe(true);
    expect(index.hasChunk(sri('a.1'))).toBe(false);
    expect(index.orphans([sri('a.0'), sri('a.1'), sri('a.2'), 7])).toEqual([sri('a.1'), 7]);
  });

  it('recomputes completeness and byte counts rather than trusting them', () => {
    const s = shape('c', 200, 100);
    const index = new CacheIndex();
    index.load([[s.integrity, { ...emptyRecord(s, 1), held: [true, true], complete: false, bytesHeld: 0 }]]);
    expect(index.completeFiles()).toEqual([s.integrity]);
    expect(index.record(s.integrity)!.bytesHeld).toBe(200);
  });
});

describe('CacheIndex.planBatch', () => {
  const job = (s: CachedFileShape, index: number, size = 100): StoreJob => ({ shape: s, index, bytes: bytes(size) });
  const never = (): boolean => false;

  it('writes a chunk two files share once, counts both positions, and completes the files it fills', () => {
    const index = new CacheIndex();
    const a = shape('a', 200, 100, ['x', 'a.1']);
    const b = shape('b', 100, 100, ['x']);
    const plan = index.planBatch([job(a, 0), job(b, 0), job(a, 1)], never, 7)!;
    expect([...plan.incoming.keys()]).toEqual([sri('x'), sri('a.1')]);
    expect(plan.incomingBytes).toBe(200);
    expect(plan.added.map((h) => h.chunk)).toEqual([sri('x'), sri('x'), sri('a.1')]);
    expect([...plan.records.values()].map((r) => [r.file, r.complete, r.lastUsed])).toEqual([
      [a.integrity, true, 7],
      [b.integrity, true, 7],
    ]);
    // A plan changes nothing by itself; committing it does.
    expect(index.storedBytes).toBe(0);
    expect(index.commit(plan.records.values(), plan.added).sort()).toEqual([a.integrity, b.integrity].sort());
    expect(index.storedBytes).toBe(200);
    expect(index.removeFiles([a.integrity]).freed).toEqual([sri('a.1')]);
  });

  it('leaves out tainted files, chunks past the end, chunks already held and chunks already stored', () => {
    const index = new CacheIndex();
    const a = shape('a', 200, 100, ['x', 'a.1']);
    put(index, recordOf(a, [0], 1));
    const t = shape('t', 100, 100);
    const b = shape('b', 100, 100, ['x']);
    const plan = index.planBatch([job(a, 0), job(a, 5), job(t, 0), job(b, 0)], (f) => f === t.integrity, 2)!;
    expect(plan.incoming.size).toBe(0);
    expect(plan.added).toEqual([{ chunk: sri('x'), size: 100 }]);
    expect([...plan.records.keys()]).toEqual([b.integrity]);
    expect(index.planBatch([job(a, 0)], never, 3)!.records.size).toBe(0);
  });

  it('refuses to plan a batch for a file cut at another chunk size (that needs an eviction first)', () => {
    const index = new CacheIndex();
    put(index, recordOf(shape('a', 200, 100), [0], 1));
    expect(index.planBatch([job(shape('a', 200, 200), 0, 200)], never, 2)).toBeUndefined();
  });
});
