/**
 * The chunk cache's write queue (sw/batched-writer.ts): tasks run one at a time in order, jobs
 * arriving while a task runs share one batch up to its cap, a failure neither rejects nor blocks
 * the queue, and a caller waits for the announcements its own task raised (and only those). Plus
 * the taint set (sw/taint-set.ts) the cache keeps beside it.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sha256Sri } from '../../../protocol/index.js';
import { BatchedWriter } from '../../../sw/batched-writer.js';
import { TaintSet } from '../../../sw/taint-set.js';

/** A promise and its resolver, to hold a task open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BatchedWriter', () => {
  it('runs tasks one at a time, in the order they were queued, after the start promise', async () => {
    const start = gate();
    const log: string[] = [];
    const writer = new BatchedWriter<number>(start.promise, async () => undefined, 4);
    const hold = gate();
    const first = writer.enqueue(async () => {
      log.push('first in');
      await hold.promise;
      log.push('first out');
    });
    const second = writer.enqueue(async () => void log.push('second'));
    await tick();
    expect(log).toEqual([]);
    start.open();
    await tick();
    expect(log).toEqual(['first in']);
    hold.open();
    await Promise.all([first, second]);
    expect(log).toEqual(['first in', 'first out', 'second']);
  });

  it('batches the jobs that arrive while a task runs, at most maxBatch to a batch', async () => {
    const batches: number[][] = [];
    const writer = new BatchedWriter<number>(Promise.resolve(), async (jobs) => void batches.push([...jobs]), 3);
    const hold = gate();
    const busy = writer.enqueue(() => hold.promise);
    const done = [1, 2, 3, 4, 5, 6, 7].map((n) => writer.add(n));
    // The first batch settles with all its jobs: they share one promise.
    expect(done[0]).toBe(done[2]);
    expect(done[3]).not.toBe(done[2]);
    hold.open();
    await Promise.all([busy, ...done]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('starts a new batch for a job that arrives once its batch began writing', async () => {
    const batches: number[][] = [];
    const writing = gate();
    const writer = new BatchedWriter<number>(
      Promise.resolve(),
      async (jobs) => {
        batches.push([...jobs]);
        if (batches.length === 1) await writing.promise;
      },
      16,
    );
    const one = writer.add(1);
    await tick();
    const two = writer.add(2);
    writing.open();
    await Promise.all([one, two]);
    expect(batches).toEqual([[1], [2]]);
  });

  it('never rejects, and a failed task does not stop the ones behind it', async () => {
    const writer = new BatchedWriter<number>(Promise.resolve(), async () => {
      throw new Error('disk full');
    }, 4);
    const ran: string[] = [];
    await expect(writer.enqueue(async () => {
      throw new Error('boom');
    })).resolves.toBeUndefined();
    await expect(writer.add(1)).resolves.toBeUndefined();
    await writer.enqueue(async () => void ran.push('after'));
    expect(ran).toEqual(['after']);
  });

  it("makes a caller wait for the announcements its task raised, not the queue or another task's", async () => {
    const writer = new BatchedWriter<number>(Promise.resolve(), async () => undefined, 4);
    const announced = gate();
    let settled = false;
    const raising = writer.enqueue(async () => writer.raise(announced.promise)).then(() => (settled = true));
    // The next task runs (and its caller settles) while the announcement is still out.
    await writer.enqueue(async () => undefined);
    await tick();
    expect(settled).toBe(false);
    announced.open();
    await raising;
    expect(settled).toBe(true);
    // A failed announcement is swallowed.
    await expect(writer.enqueue(async () => writer.raise(Promise.reject(new Error('no bridge'))))).resolves.toBeUndefined();
  });
});

describe('TaintSet', () => {
  it('holds tainted files until cleared', () => {
    const a = 'sha256-a' as Sha256Sri;
    const b = 'sha256-b' as Sha256Sri;
    const taints = new TaintSet();
    taints.add(a);
    expect([taints.has(a), taints.has(b)]).toEqual([true, false]);
    taints.clear();
    expect(taints.has(a)).toBe(false);
  });
});
