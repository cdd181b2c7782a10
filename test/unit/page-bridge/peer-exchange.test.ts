/**
 * The pool's peer exchange (page-bridge/peer-exchange.ts): only peers with a verified exchange are
 * vouched for (a received chunk that really hashes to what was asked, or a chunk served whole),
 * told open sessions first and never to themselves; hints are capped, filtered (this page, the
 * teller, dropped peers), ranked by how many peers named them, aged out, forgotten when they fail
 * or when the only peer that gave them is dropped.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HINT_TTL_MS, MAX_HINTS, MAX_VOUCHED, PeerExchange } from '../../../page-bridge/peer-exchange.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { MAX_EXCHANGE_PEERS } from '../../../protocol/messages/peer.js';

const sriOf = (bytes: Uint8Array): Sha256Sri => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

function world(options: { self?: string; open?: string[]; dropped?: string[] } = {}) {
  const state = { now: 1_000_000, learned: 0, open: new Set(options.open ?? []), dropped: new Set(options.dropped ?? []) };
  const exchange = new PeerExchange({
    self: () => options.self ?? 'me',
    isDropped: (id) => state.dropped.has(id),
    hasOpenSession: (id) => state.open.has(id),
    learned: () => void (state.learned += 1),
    now: () => state.now,
  });
  return { exchange, state };
}

/** Lets WebCrypto's digest settle. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('what a page vouches for', () => {
  it('a received chunk that hashes to what was asked vouches for its sender; one that does not, or a malformed hash, does not', async () => {
    const { exchange } = world();
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const wrong = bytes.slice();
    wrong[0] = 99;
    exchange.received('honest', sriOf(bytes), bytes.slice().buffer);
    exchange.received('liar', sriOf(bytes), wrong.buffer);
    exchange.received('odd', 'sha256-not-a-digest' as Sha256Sri, bytes.slice().buffer);
    await settle();
    expect(['honest', 'liar', 'odd'].map((id) => exchange.isVouched(id))).toEqual([true, false, false]);
  });

  it('the bytes are copied before received() returns: a transfer right after (detaching them) changes nothing', async () => {
    const { exchange } = world();
    const bytes = new Uint8Array(4096).fill(3);
    const buffer = bytes.slice().buffer;
    exchange.received('peer', sriOf(bytes), buffer);
    structuredClone(buffer, { transfer: [buffer] });
    expect(buffer.byteLength).toBe(0);
    await settle();
    expect(exchange.isVouched('peer')).toBe(true);
  });

  it('a chunk served whole vouches for its receiver; this page and dropped peers are never vouched for', () => {
    const { exchange } = world({ dropped: ['bad'] });
    exchange.served('taker');
    exchange.served('me');
    exchange.served('bad');
    expect(['taker', 'me', 'bad'].map((id) => exchange.isVouched(id))).toEqual([true, false, false]);
  });

  it('tells an asker open sessions first, then the most recent, never the asker itself or a peer dropped since; at most 16', () => {
    const { exchange, state } = world({ open: ['o1', 'o2'] });
    for (const id of ['o1', 'c1', 'o2', 'c2', 'asker', 'later-bad']) exchange.served(id);
    state.dropped.add('later-bad');
    expect(exchange.hintsFor('asker')).toEqual(['o2', 'o1', 'c2', 'c1']);
    for (let i = 0; i < 40; i++) exchange.served(`p${i}`);
    expect(exchange.hintsFor('asker')).toHaveLength(MAX_EXCHANGE_PEERS);
  });

  it('remembers at most MAX_VOUCHED peers, the least recent going first; a drop forgets a peer', () => {
    const { exchange } = world();
    for (let i = 0; i <= MAX_VOUCHED; i++) exchange.served(`p${i}`);
    expect(exchange.isVouched('p0')).toBe(false);
    expect(exchange.isVouched(`p${MAX_VOUCHED}`)).toBe(true);
    exchange.forget('p5');
    expect(exchange.isVouched('p5')).toBe(false);
  });
});

describe('hints from others', () => {
  it('keeps what others name minus this page, the teller and dropped peers, and says hints arrived', () => {
    const { exchange, state } = world({ dropped: ['bad'] });
    exchange.learned('x', ['me', 'x', 'bad', 'd', 'e']);
    expect(exchange.candidates().sort()).toEqual(['d', 'e']);
    expect(state.learned).toBe(1);
  });

  it('ranks hints named by more peers first, then the most recent; skips open sessions and what the caller skips', () => {
    const { exchange, state } = world({ open: ['open'] });
    exchange.learned('x', ['old', 'both', 'open']);
    state.now += 10;
    exchange.learned('y', ['new', 'both']);
    expect(exchange.candidates()).toEqual(['both', 'new', 'old']);
    expect(exchange.candidates((id) => id === 'both')).toEqual(['new', 'old']);
  });

  it('ages hints out after HINT_TTL_MS, and forgets one that failed to connect', () => {
    const { exchange, state } = world();
    exchange.learned('x', ['a', 'b']);
    exchange.failed('a');
    expect(exchange.candidates()).toEqual(['b']);
    state.now += HINT_TTL_MS;
    expect(exchange.candidates()).toEqual([]);
  });

  it('a dropped teller takes the hints only it gave with it; a hint another peer also gave stays', () => {
    const { exchange } = world();
    exchange.learned('liar', ['fake1', 'fake2', 'shared']);
    exchange.learned('friend', ['shared']);
    exchange.forget('liar');
    expect(exchange.candidates()).toEqual(['shared']);
  });

  it('keeps at most MAX_HINTS, making room by dropping the weakest (fewest tellers, then oldest)', () => {
    const { exchange, state } = world();
    exchange.learned('x', ['strong']);
    exchange.learned('y', ['strong']);
    for (let batch = 0; batch < 8; batch++) {
      state.now += 1;
      exchange.learned(`t${batch}`, Array.from({ length: MAX_EXCHANGE_PEERS }, (_, i) => `h${batch}-${i}`));
    }
    expect(exchange.hintCount).toBe(MAX_HINTS);
    const kept = exchange.candidates();
    expect(kept[0]).toBe('strong');
    expect(kept).toContain('h7-15');
    expect(kept).not.toContain('h0-0');
  });
});
