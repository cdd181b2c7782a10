/**
 * The pool keeper (page-bridge/pool-keeper.ts) against a scripted pool, on fake timers: nothing
 * happens while the pool has minPeers; after a loss a round asks the peers that speak peer
 * exchange, dials the best hints, only as many as the pool lacks and never a peer the pool skips
 * (dropped, open, this page), and only then asks the tracker; a short pool gets rounds again
 * after a backoff, at most MAX_ROUNDS in a row; a peer is asked at most once per ASK_INTERVAL_MS.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ASK_INTERVAL_MS, ASK_WAIT_MS, KEEPER_BACKOFF, MAX_ROUNDS, PoolKeeper, type AskablePeer } from '../../../page-bridge/pool-keeper.js';
import { backoffCeiling, backoffDelay } from '../../../page-bridge/backoff.js';

interface Script {
  minPeers: number;
  open: Set<string>;
  skip: Set<string>;
  /** Peers that open when dialed (others fail). */
  reachable: Set<string>;
  /** Hints, best first; what the exchange answers when asked. */
  hints: string[];
  answers: Map<string, string[]>;
  rescue: string[];
}

function setup(partial: Partial<Script> = {}) {
  const s: Script = { minPeers: 3, open: new Set(), skip: new Set(), reachable: new Set(), hints: [], answers: new Map(), rescue: [], ...partial };
  const log = { asked: [] as string[], dialed: [] as string[], failed: [] as string[], rescues: 0 };
  const keeper: { current?: PoolKeeper } = {};
  const askable = (): AskablePeer[] =>
    [...s.open].map((peerId) => ({
      peerId,
      askPeers: () => {
        log.asked.push(peerId);
        const answer = s.answers.get(peerId);
        if (answer) {
          setTimeout(() => {
            s.hints.push(...answer.filter((id) => !s.hints.includes(id)));
            keeper.current?.answered();
          }, 10);
        }
        return true;
      },
    }));
  keeper.current = new PoolKeeper(
    {
      minPeers: s.minPeers,
      count: () => s.open.size,
      askable,
      skip: (id) => s.skip.has(id) || s.open.has(id),
      connect: async (id) => {
        log.dialed.push(id);
        await new Promise((r) => setTimeout(r, 5));
        if (!s.reachable.has(id)) return false;
        s.open.add(id);
        return true;
      },
    },
    {
      hints: () => s.hints.filter((id) => !s.open.has(id)),
      failed: (id) => {
        log.failed.push(id);
        s.hints = s.hints.filter((h) => h !== id);
      },
      rescue: async () => {
        log.rescues += 1;
        return s.rescue;
      },
    },
    { random: () => 1 },
  );
  return { keeper: keeper.current, s, log };
}

/** Runs the first round: its jittered delay (random 1: the ceiling) plus the answer wait. */
const firstRound = (): Promise<void> => jest.advanceTimersByTimeAsync(backoffCeiling(0, KEEPER_BACKOFF) + ASK_WAIT_MS + 100);

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('PoolKeeper', () => {
  it('does nothing while the pool has minPeers, however many sessions close', async () => {
    const { keeper, log } = setup({ minPeers: 2, open: new Set(['a', 'b']), hints: ['h'], reachable: new Set(['h']) });
    keeper.lost();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(log).toEqual({ asked: [], dialed: [], failed: [], rescues: 0 });
  });

  it('after a loss: asks its peers, dials the hints their answers bring, only as many as it lacks, and skips the tracker', async () => {
    const { keeper, s, log } = setup({
      open: new Set(['x']),
      answers: new Map([['x', ['d', 'e', 'f', 'g']]]),
      reachable: new Set(['d', 'e', 'f', 'g']),
      rescue: ['r'],
    });
    keeper.lost();
    await jest.advanceTimersByTimeAsync(backoffCeiling(0, KEEPER_BACKOFF) - 1);
    expect(log.asked).toEqual([]);
    await firstRound();
    expect(log.asked).toEqual(['x']);
    expect(log.dialed).toEqual(['d', 'e']);
    expect([...s.open]).toEqual(['x', 'd', 'e']);
    expect(log.rescues).toBe(0);
  });

  it('never dials a peer the pool skips (dropped, connecting, this page); a hint that fails is reported and the next one tried', async () => {
    const { keeper, s, log } = setup({
      minPeers: 2,
      open: new Set(['x']),
      skip: new Set(['dropped', 'me']),
      hints: ['dropped', 'me', 'gone', 'good'],
      reachable: new Set(['good']),
    });
    keeper.lost();
    await firstRound();
    expect(log.dialed).toEqual(['gone', 'good']);
    expect(log.failed).toEqual(['gone']);
    expect(s.open.has('good')).toBe(true);
  });

  it('turns to the tracker when peer exchange leaves it short, dialing only what it still lacks', async () => {
    const { keeper, s, log } = setup({ open: new Set(['x']), hints: ['d'], reachable: new Set(['d', 'r1', 'r2', 'r3']), rescue: ['x', 'r1', 'r2', 'r3'] });
    keeper.lost();
    await firstRound();
    expect(log.dialed).toEqual(['d', 'r1']);
    expect(log.rescues).toBe(1);
    expect(s.open.size).toBe(3);
  });

  it('a short pool gets further rounds after a growing backoff, MAX_ROUNDS in a row; a new loss starts over', async () => {
    const { keeper, log } = setup({ open: new Set(['x']) });
    keeper.lost();
    // Every round finds nothing: MAX_ROUNDS rescues, each after the backoff of the rounds before it.
    let elapsed = 0;
    for (let round = 0; round < MAX_ROUNDS + 3; round++) elapsed += backoffDelay(round, KEEPER_BACKOFF, () => 1) + ASK_WAIT_MS + 10;
    await jest.advanceTimersByTimeAsync(elapsed);
    expect(log.rescues).toBe(MAX_ROUNDS);
    // The peer was asked once: later rounds fell inside ASK_INTERVAL_MS of it until that passed.
    expect(log.asked.length).toBeLessThan(MAX_ROUNDS);
    expect(log.asked.length).toBeGreaterThanOrEqual(1);
    keeper.lost();
    await firstRound();
    expect(log.rescues).toBe(MAX_ROUNDS + 1);
  });

  it('asks one peer at most once per ASK_INTERVAL_MS', async () => {
    const { keeper, log } = setup({ open: new Set(['x']) });
    keeper.lost();
    await firstRound();
    expect(log.asked).toEqual(['x']);
    keeper.lost();
    await firstRound();
    expect(log.asked).toEqual(['x']);
    await jest.advanceTimersByTimeAsync(ASK_INTERVAL_MS);
    keeper.lost();
    await firstRound();
    expect(log.asked).toEqual(['x', 'x']);
  });

  it('stop() ends it: no round runs after', async () => {
    const { keeper, log } = setup({ open: new Set(['x']), hints: ['d'], reachable: new Set(['d']) });
    keeper.lost();
    keeper.stop();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(log).toEqual({ asked: [], dialed: [], failed: [], rescues: 0 });
  });
});
