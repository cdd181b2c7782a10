/**
 * The page's peer across drops and restarts (page-bridge/signalling-peer.ts), with a scripted
 * stand-in for peerjs's Peer that emits what peerjs 1.5 emits in each case, on fake timers:
 * reconnects wait full-jitter backoffs that grow while they fail and start over once the peer
 * opens; a server that no longer knows a peer's id gets a new peer at once (the old one is let go
 * with its connections, not destroyed); a full server gets the same id again after a backoff; a
 * peer that never opened is replaced after one backoff, counted once; old peers' events do nothing.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Peer } from 'peerjs';
import { RECONNECT_BACKOFF, backoffDelay } from '../../../page-bridge/backoff.js';
import { SignallingPeer, refusalCode, type SignallingHandlers } from '../../../page-bridge/signalling-peer.js';

/** What peerjs's Peer does that SignallingPeer relies on. */
class FakePeer extends EventEmitter {
  id: string | null;
  open = false;
  disconnected = false;
  destroyed = false;
  reconnects = 0;
  /** It opened once: a refusal then disconnects it instead of destroying it. */
  wasOpen = false;
  readonly handled: unknown[] = [];

  constructor(readonly serial: number) {
    super();
    this.id = `peer${serial}`;
  }

  /** peerjs's own frame handler (filterServerFrames wraps it). */
  _handleMessage(message: unknown): void {
    this.handled.push(message);
  }

  /** The server said OPEN. */
  opens(): void {
    this.open = true;
    this.disconnected = false;
    this.emit('open', this.id);
  }

  /** The socket closed or failed (peerjs: disconnect()). */
  drops(): void {
    this.open = false;
    this.disconnected = true;
    this.emit('disconnected', this.id);
  }

  /** A refusal frame arrives, then peerjs aborts: disconnect, or destroy for a peer that never opened. */
  refused(code: string): void {
    (this as unknown as { _handleMessage(m: unknown): void })._handleMessage({ type: 'ERROR', payload: { msg: 'no', code } });
    this.emit('error', Object.assign(new Error('no'), { type: 'server-error' }));
    if (this.reconnects > 0 || this.wasOpen) this.drops();
    else this.destroys();
  }

  destroys(): void {
    this.drops();
    this.destroyed = true;
    this.emit('close');
  }

  reconnect(): void {
    if (!this.disconnected || this.destroyed) throw new Error('cannot reconnect');
    this.reconnects += 1;
    this.disconnected = false;
  }

  destroy(): void {
    this.destroys();
  }
}

function setup() {
  const peers: FakePeer[] = [];
  const events: string[] = [];
  const handlers: SignallingHandlers = {
    frame: () => false,
    open: (id) => void events.push(`open ${id}`),
    down: () => void events.push('down'),
    connection: () => void events.push('connection'),
    unavailable: (message) => void events.push(`unavailable ${message}`),
  };
  const signalling = new SignallingPeer(
    () => {
      const peer = new FakePeer(peers.length);
      peers.push(peer);
      return peer as unknown as Peer;
    },
    {},
    handlers,
    RECONNECT_BACKOFF,
    () => 1,
  );
  const opened = (peer: FakePeer): void => {
    peer.wasOpen = true;
    peer.opens();
  };
  return { signalling, peers, events, opened };
}

/** The delay of attempt n with random() = 1: its ceiling. */
const delay = (attempt: number): number => backoffDelay(attempt, RECONNECT_BACKOFF, () => 1);

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('SignallingPeer', () => {
  it('reconnects a dropped socket with the same id after backoffs that grow while it fails, and start over once it opens', async () => {
    const { signalling, peers, events, opened } = setup();
    signalling.start();
    const peer = peers[0]!;
    opened(peer);
    peer.drops();
    await jest.advanceTimersByTimeAsync(delay(0) - 1);
    expect(peer.reconnects).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(peer.reconnects).toBe(1);
    // The server is still down: the next wait is the next attempt's.
    peer.drops();
    await jest.advanceTimersByTimeAsync(delay(1) - 1);
    expect(peer.reconnects).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(peer.reconnects).toBe(2);
    peer.opens();
    peer.drops();
    await jest.advanceTimersByTimeAsync(delay(0));
    expect(peer.reconnects).toBe(3);
    expect(peers).toHaveLength(1);
    expect(events).toEqual(['open peer0', 'down', 'down', 'open peer0', 'down']);
  });

  it('a reconnect refused as SIGNAL_ID_UNKNOWN (the server restarted) gets a new peer at once; the old one is not destroyed', async () => {
    const { signalling, peers, events, opened } = setup();
    signalling.start();
    opened(peers[0]!);
    peers[0]!.drops();
    await jest.advanceTimersByTimeAsync(delay(0));
    peers[0]!.refused('SIGNAL_ID_UNKNOWN');
    expect(peers).toHaveLength(2);
    expect(peers[0]!.destroyed).toBe(false);
    expect(signalling.peer).toBe(peers[1] as unknown as Peer);
    // The refusal frame still reached peerjs (which turns it into its own error and disconnect).
    expect(peers[0]!.handled).toHaveLength(1);
    // The old peer's later events change nothing.
    peers[0]!.drops();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(peers).toHaveLength(2);
    opened(peers[1]!);
    expect(events).toEqual(['open peer0', 'down', 'down', 'open peer1']);
  });

  it('a full server (SIGNAL_CAPACITY) gets the same id again after a backoff; another refusal, a new peer after a backoff', async () => {
    const { signalling, peers, opened } = setup();
    signalling.start();
    opened(peers[0]!);
    peers[0]!.drops();
    await jest.advanceTimersByTimeAsync(delay(0));
    peers[0]!.refused('SIGNAL_CAPACITY');
    await jest.advanceTimersByTimeAsync(delay(1));
    expect(peers[0]!.reconnects).toBe(2);
    expect(peers).toHaveLength(1);
    peers[0]!.refused('SIGNAL_ID_TAKEN');
    await jest.advanceTimersByTimeAsync(delay(2) - 1);
    expect(peers).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(peers).toHaveLength(2);
  });

  it('a peer that never opened and is destroyed is replaced after one backoff, counted once, even if the server keeps refusing it', async () => {
    const { signalling, peers } = setup();
    signalling.start();
    peers[0]!.refused('SIGNAL_ID_UNKNOWN');
    await jest.advanceTimersByTimeAsync(delay(0) - 1);
    expect(peers).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(peers).toHaveLength(2);
    // No hot loop: a new peer refused before it opened waits the next attempt's backoff.
    peers[1]!.refused('SIGNAL_ID_UNKNOWN');
    await jest.advanceTimersByTimeAsync(delay(1) - 1);
    expect(peers).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(peers).toHaveLength(3);
  });

  it('passes EXPIRE on, and close() stops every retry and destroys the current peer', async () => {
    const { signalling, peers, events, opened } = setup();
    signalling.start();
    opened(peers[0]!);
    peers[0]!.emit('error', Object.assign(new Error('Could not connect to peer abc'), { type: 'peer-unavailable' }));
    expect(events).toContain('unavailable Could not connect to peer abc');
    peers[0]!.drops();
    signalling.close();
    expect(peers[0]!.destroyed).toBe(true);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(peers).toHaveLength(1);
    expect(peers[0]!.reconnects).toBe(0);
  });
});

describe('refusalCode', () => {
  it('reads the code of ERROR and ID-TAKEN frames as unknown data', () => {
    expect(refusalCode({ type: 'ERROR', payload: { msg: 'x', code: 'SIGNAL_ID_UNKNOWN' } })).toBe('SIGNAL_ID_UNKNOWN');
    expect(refusalCode({ type: 'ID-TAKEN', payload: { code: 'SIGNAL_ID_TAKEN' } })).toBe('SIGNAL_ID_TAKEN');
    expect(refusalCode({ type: 'ERROR', payload: { msg: 'a stock server says no code' } })).toBe('refused');
    expect(refusalCode({ type: 'ERROR', payload: { code: 'x'.repeat(65) } })).toBe('refused');
    expect(refusalCode({ type: 'ERROR' })).toBe('refused');
    for (const other of [null, 'ERROR', { type: 'OPEN' }, { type: 'joined' }]) expect(refusalCode(other)).toBeUndefined();
  });
});
