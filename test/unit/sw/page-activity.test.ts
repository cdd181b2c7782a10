/** The pages' own swarm requests, as the prefetch sees them (sw/page-activity.ts). */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MAX_REQUEST_MS, PageActivity, QUIET_MS } from '../../../sw/page-activity.js';
import type { Sha256Sri } from '../../../protocol/index.js';

const A = 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' as Sha256Sri;
const B = 'sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=' as Sha256Sri;

describe('PageActivity', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const activity = (): PageActivity => new PageActivity(() => Date.now());

  it('is quiet with no request, busy while one runs and for QUIET_MS after the last ends', () => {
    const pages = activity();
    expect(pages.quiet).toBe(true);
    const endA = pages.begin(A);
    const endB = pages.begin(B);
    expect({ quiet: pages.quiet, a: pages.wants(A), b: pages.wants(B) }).toEqual({ quiet: false, a: true, b: true });
    endA();
    endA(); // once only
    expect({ quiet: pages.quiet, a: pages.wants(A), b: pages.wants(B) }).toEqual({ quiet: false, a: false, b: true });
    endB();
    expect(pages.quiet).toBe(false);
    jest.advanceTimersByTime(QUIET_MS);
    expect(pages.quiet).toBe(true);
  });

  it('sums, live, the bytes the requests in flight still wait on, each counted once and until it ends', () => {
    const pages = activity();
    let left = 3_000;
    const endA = pages.begin(A, () => left);
    const endB = pages.begin(B, () => 500);
    pages.begin(A); // waits on nothing from the swarm (the origin's)
    expect(pages.bytesInFlight).toBe(3_500);
    // Bytes arrive, or go to the origin: read again, not remembered.
    left = 1_000;
    expect(pages.bytesInFlight).toBe(1_500);
    endA();
    endA();
    expect(pages.bytesInFlight).toBe(500);
    jest.advanceTimersByTime(MAX_REQUEST_MS);
    expect(pages.bytesInFlight).toBe(0);
    endB();
    expect(pages.bytesInFlight).toBe(0);
  });

  it('tells its listeners of each file a page asks for', () => {
    const pages = activity();
    const seen: Sha256Sri[] = [];
    const undo = pages.onBegin((f) => seen.push(f));
    pages.begin(A);
    undo();
    pages.begin(B);
    expect(seen).toEqual([A]);
  });

  it('a request never ended stops counting after MAX_REQUEST_MS', () => {
    const pages = activity();
    pages.begin(A);
    jest.advanceTimersByTime(MAX_REQUEST_MS - 1);
    expect(pages.wants(A)).toBe(true);
    jest.advanceTimersByTime(1);
    expect(pages.wants(A)).toBe(false);
  });

  it('untilQuiet waits for quiet, or gives up when told to', async () => {
    const pages = activity();
    const end = pages.begin(A);
    let stop = false;
    const waiting = pages.untilQuiet(() => stop);
    let settled: boolean | undefined;
    void waiting.then((v) => (settled = v));
    await jest.advanceTimersByTimeAsync(200);
    expect(settled).toBeUndefined();
    end();
    await jest.advanceTimersByTimeAsync(QUIET_MS + 100);
    expect(settled).toBe(true);
    pages.begin(B);
    const givenUp = pages.untilQuiet(() => stop);
    stop = true;
    await jest.advanceTimersByTimeAsync(100);
    expect(await givenUp).toBe(false);
  });
});
