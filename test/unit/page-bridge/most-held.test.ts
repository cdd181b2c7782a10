/** The most held files from availability pushes (most-held.ts): what the pool's rescue asks the tracker about. */
import { describe, expect, it } from '@jest/globals';
import { MostHeld } from '../../../page-bridge/most-held.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';

const sri = (n: number): Sha256Sri => `sha256-${n.toString(36).padStart(43, 'A')}=`;

describe('MostHeld', () => {
  it('names nothing until something is held', () => {
    const m = new MostHeld();
    expect(m.pick()).toBeUndefined();
    m.apply(true, {});
    expect(m.pick()).toBeUndefined();
  });

  it('follows full views and changes, a 0 removing a file', () => {
    const m = new MostHeld();
    m.apply(true, { [sri(1)]: 2, [sri(2)]: 5, [sri(3)]: 1 });
    expect(m.pick()).toBe(sri(2));
    m.apply(false, { [sri(3)]: 9, [sri(2)]: 0 });
    expect(m.pick()).toBe(sri(3));
    m.apply(true, { [sri(4)]: 1 });
    expect(m.pick()).toBe(sri(4));
  });

  it('picks among the equally most held by the random number', () => {
    const m = new MostHeld();
    m.apply(true, { [sri(1)]: 4, [sri(2)]: 4, [sri(3)]: 1 });
    expect(m.pick(() => 0)).toBe(sri(1));
    expect(m.pick(() => 0.99)).toBe(sri(2));
  });

  it('keeps the 256 most held: a more held newcomer takes the least held one\'s place, a less held one is not kept', () => {
    const m = new MostHeld();
    m.apply(true, Object.fromEntries(Array.from({ length: 256 }, (_, i) => [sri(i + 1), 10])));
    m.apply(false, { [sri(1000)]: 1 });
    m.apply(false, { [sri(1)]: 0 });
    // 255 files at 10 remain; the newcomer at 1 was not kept, so it is never the pick even alone at the top.
    m.apply(false, { [sri(2000)]: 50 });
    expect(m.pick()).toBe(sri(2000));
    for (let i = 2; i <= 256; i++) m.apply(false, { [sri(i)]: 0 });
    m.apply(false, { [sri(2000)]: 0 });
    expect(m.pick()).toBeUndefined();
  });
});
