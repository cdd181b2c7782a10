/**
 * Incoming connections not open yet: one per peer, at most half of maxPeers at once, none when the
 * pool is full of busy connections; each ends at its timeout (peerjs has none), opens into the
 * pool's decision, or leaves on close.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { PendingIncoming, type IncomingConnection } from '../../../page-bridge/pending-incoming.js';

class FakeIncoming implements IncomingConnection {
  closed = 0;
  readonly #listeners: Record<string, (() => void)[]> = { open: [], close: [] };
  constructor(readonly peer: string) {}
  close(): void {
    this.closed += 1;
  }
  on(event: 'open' | 'close', listener: () => void): void {
    this.#listeners[event]!.push(listener);
  }
  emit(event: 'open' | 'close'): void {
    for (const l of this.#listeners[event]!) l();
  }
}

const idle = { busy: 0, connecting: 0, maxPeers: 8 };

afterEach(() => {
  jest.useRealTimers();
});

describe('PendingIncoming', () => {
  it('accepts one pending connection per peer and at most half of maxPeers in all', () => {
    jest.useFakeTimers();
    const pending = new PendingIncoming();
    for (const peer of ['a', 'b', 'c', 'd']) {
      expect(pending.canAccept(peer, idle)).toBe(true);
      pending.track(new FakeIncoming(peer), 3_000, () => undefined);
    }
    expect(pending.canAccept('a', idle)).toBe(false);
    expect(pending.canAccept('e', idle)).toBe(false);
    expect(pending.size).toBe(4);
  });

  it('has no room when busy connections and connects under way fill maxPeers', () => {
    const pending = new PendingIncoming();
    expect(pending.canAccept('a', { busy: 6, connecting: 2, maxPeers: 8 })).toBe(false);
    expect(pending.canAccept('a', { busy: 6, connecting: 1, maxPeers: 8 })).toBe(true);
    expect(pending.canAccept('a', { busy: 0, connecting: 0, maxPeers: 1 })).toBe(true);
  });

  it('a connection that never opens is closed at its timeout and frees its place', () => {
    jest.useFakeTimers();
    const pending = new PendingIncoming();
    const conn = new FakeIncoming('a');
    const opened = jest.fn();
    pending.track(conn, 3_000, opened);
    jest.advanceTimersByTime(2_999);
    expect([conn.closed, pending.size]).toEqual([0, 1]);
    jest.advanceTimersByTime(1);
    expect([conn.closed, pending.size]).toEqual([1, 0]);
    expect(pending.canAccept('a', idle)).toBe(true);
    conn.emit('open');
    expect(opened).toHaveBeenCalledTimes(1);
  });

  it('an open hands the connection to the pool and frees its place; a close frees it too', () => {
    jest.useFakeTimers();
    const pending = new PendingIncoming();
    const a = new FakeIncoming('a');
    const opened = jest.fn();
    pending.track(a, 3_000, opened);
    a.emit('open');
    expect(opened).toHaveBeenCalledWith(a);
    expect(pending.has('a')).toBe(false);
    const b = new FakeIncoming('b');
    pending.track(b, 3_000, opened);
    b.emit('close');
    expect(pending.has('b')).toBe(false);
    jest.advanceTimersByTime(5_000);
    expect([a.closed, b.closed]).toEqual([0, 0]);
  });
});
