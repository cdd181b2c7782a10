/**
 * The small rules the tracker weighs a client's word by: a byte allowance that fills with time, a
 * bounded memory of who paired with whom, decaying votes, and upload credit capped per receiver
 * network.
 */
import { describe, expect, it } from '@jest/globals';
import { ByteAllowance } from '../../../server/tracker/byte-allowance.js';
import { MAX_PARTNERS, RecentPartners } from '../../../server/tracker/recent-partners.js';
import { forgetVotesBefore, quarantines, voteWeight } from '../../../server/tracker/report-votes.js';
import { MAX_CREDIT_NETWORKS, UploadCredit } from '../../../server/tracker/upload-credit.js';

describe('ByteAllowance', () => {
  it('starts empty, fills at its rate up to the burst, grants at most what is there, and mints nothing on a clock step back', () => {
    const a = new ByteAllowance(1000, 5, 0);
    expect(a.take(1e12, 0)).toBe(0);
    expect(a.take(1e12, 2000)).toBe(2000);
    expect(a.take(300, 2500)).toBe(300);
    expect(a.take(1e12, 2500)).toBe(200);
    // An hour later: the burst (5 s) and no more.
    expect(a.take(1e12, 3_602_500)).toBe(5000);
    a.refund(100_000);
    expect(a.take(1e12, 3_602_500)).toBe(5000);
    expect(a.take(1e12, 0)).toBe(0);
    expect(a.take(1e12, 3_603_500)).toBe(1000);
  });
});

describe('RecentPartners', () => {
  it('remembers a pairing for the TTL, and at most MAX_PARTNERS peers, the latest', () => {
    const p = new RecentPartners(1000);
    p.note('a', 0);
    expect(p.has('a', 1000)).toBe(true);
    expect(p.has('a', 1001)).toBe(false);
    expect(p.has('b', 0)).toBe(false);
    p.note('a', 5000);
    expect(p.has('a', 5500)).toBe(true);
    for (let i = 0; i < MAX_PARTNERS; i++) p.note(`x${i}`, 5000);
    expect(p.size).toBe(MAX_PARTNERS);
    expect(p.has('a', 5500)).toBe(false);
    expect(p.has('x0', 5500)).toBe(true);
  });
});

describe('report votes', () => {
  it('halves each vote every half-life and quarantines at the threshold less one half', () => {
    expect(voteWeight([1000, 1000, 1000], 1000, 600)).toBe(3);
    expect(voteWeight([0], 600, 600)).toBeCloseTo(0.5, 12);
    // A vote stamped later than now (a clock step) weighs 1, not more.
    expect(voteWeight([5000], 1000, 600)).toBe(1);
    expect(quarantines(voteWeight([0, 0, 0], 0, 600), 3)).toBe(true);
    expect(quarantines(voteWeight([0, 0], 0, 600), 3)).toBe(false);
    expect(quarantines(voteWeight([0, 0, 600], 600, 600), 3)).toBe(false);
    expect(forgetVotesBefore(10_000, 600)).toBe(10_000 - 2400);
  });
});

describe('UploadCredit', () => {
  it('grants per receiver network from the sender\'s join (at most 10 s for a new network), and keeps at most MAX_CREDIT_NETWORKS', () => {
    const c = new UploadCredit(1000, 0);
    // Joined 3 s ago: 3 s of credit from a network, then it must refill.
    expect(c.take('n1', 1e9, 3000)).toBe(3000);
    expect(c.take('n1', 1e9, 3000)).toBe(0);
    expect(c.take('n2', 1e9, 3000)).toBe(3000);
    // A network first seen a minute in: 10 s, not a minute.
    expect(c.take('n3', 1e9, 60_000)).toBe(10_000);
    for (let i = 0; i < MAX_CREDIT_NETWORKS; i++) c.take(`m${i}`, 1, 60_000);
    // n1 was evicted: seen again, it starts from 10 s back, not from the join.
    expect(c.take('n1', 1e9, 60_000)).toBe(10_000);
  });
});
