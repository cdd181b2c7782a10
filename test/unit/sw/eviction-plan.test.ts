import { describe, expect, it } from '@jest/globals';
import type { Sha256Sri } from '../../../protocol/index.js';
import { planEviction, type EvictionCandidate } from '../../../sw/eviction-plan.js';

const sri = (name: string): Sha256Sri => `sha256-${name}` as Sha256Sri;

function file(name: string, lastUsed: number, chunks: [string, number][]): EvictionCandidate {
  return { file: sri(name), lastUsed, held: chunks.map(([c, size]) => ({ chunk: sri(c), size })) };
}

function refcounts(candidates: EvictionCandidate[]): Map<Sha256Sri, number> {
  const refs = new Map<Sha256Sri, number>();
  for (const c of candidates) for (const { chunk } of c.held) refs.set(chunk, (refs.get(chunk) ?? 0) + 1);
  return refs;
}

describe('planEviction', () => {
  const a = file('A', 1, [['a1', 100], ['a2', 100]]);
  const b = file('B', 2, [['b1', 100]]);
  const c = file('C', 3, [['c1', 100]]);
  const all = [c, a, b];
  const base = { candidates: all, refcounts: refcounts(all), storedBytes: 400 };

  it('evicts nothing while the incoming bytes fit', () => {
    expect(planEviction({ ...base, limitBytes: 500, incomingBytes: 100 })).toEqual({ evictFiles: [], deleteChunks: [], freedBytes: 0, fits: true });
  });

  it('evicts least recently used files first, only as many as needed', () => {
    const plan = planEviction({ ...base, limitBytes: 400, incomingBytes: 100 });
    expect(plan.evictFiles).toEqual([sri('A')]);
    expect([...plan.deleteChunks].sort()).toEqual([sri('a1'), sri('a2')]);
    expect(plan.freedBytes).toBe(200);
    expect(plan.fits).toBe(true);

    const more = planEviction({ ...base, limitBytes: 250, incomingBytes: 100 });
    expect(more.evictFiles).toEqual([sri('A'), sri('B')]);
    expect(more.fits).toBe(true);
  });

  it('keeps a chunk another remaining file still holds', () => {
    const x = file('X', 1, [['shared', 100], ['x2', 100]]);
    const y = file('Y', 2, [['shared', 100]]);
    const plan = planEviction({ candidates: [x, y], refcounts: refcounts([x, y]), storedBytes: 200, limitBytes: 150, incomingBytes: 50 });
    expect(plan.evictFiles).toEqual([sri('X')]);
    expect(plan.deleteChunks).toEqual([sri('x2')]);
    expect(plan.freedBytes).toBe(100);
  });

  it('counts a chunk held twice by one file once it is gone from both positions', () => {
    const z = file('Z', 1, [['dup', 100], ['dup', 100]]);
    const plan = planEviction({ candidates: [z], refcounts: refcounts([z]), storedBytes: 100, limitBytes: 100, incomingBytes: 50 });
    expect(plan.deleteChunks).toEqual([sri('dup')]);
    expect(plan.freedBytes).toBe(100);
  });

  it('never evicts a protected file, and says when nothing makes room', () => {
    const plan = planEviction({ ...base, limitBytes: 150, incomingBytes: 100, protect: new Set([sri('C')]) });
    expect(plan.evictFiles).not.toContain(sri('C'));
    expect(plan.fits).toBe(false);
  });

  it('breaks lastUsed ties by file hash, so the plan is deterministic', () => {
    const p = file('P', 5, [['p', 100]]);
    const q = file('Q', 5, [['q', 100]]);
    const plan = planEviction({ candidates: [q, p], refcounts: refcounts([p, q]), storedBytes: 200, limitBytes: 100, incomingBytes: 0 });
    expect(plan.evictFiles).toEqual([sri('P')]);
  });
});
