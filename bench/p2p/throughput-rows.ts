/**
 * The throughput phase's rows (bench/p2p/rounds.ts measures its rounds): B's SW fetch from A against
 * the raw channel between the same two pages, and the first P2P byte against its budget; the first
 * 32 MiB on each new connection for reference, and what voids each figure. Bytes that came from
 * the origin void only the figure they are in; wrong bytes fail the whole run.
 */
import { formatRatio } from '../bench-result.js';
import { benchRow, mbPerSec, med, round1 } from './figures.js';
import type { PhaseRow } from './phases.js';
import type { CheckedFetch, Round } from './rounds.js';

const TARGET_THROUGHPUT = 0.8;
const FIRST_BYTE_BUDGET_MS = 150;

/** What the throughput rows, the ceiling row and the RESULT line read of the rounds (NaN where there were none). */
export interface ThroughputFigures {
  readonly rounds: number;
  readonly rawMbps: number;
  readonly swMbps: number;
  /** Median over rounds of each SW fetch against the mean of the raw transfers just before and after it. */
  readonly pairedRatio: number;
  readonly first: readonly CheckedFetch[];
  readonly firstFromPeers: readonly CheckedFetch[];
  readonly firstMs: number;
  readonly firstValid: boolean;
  /** What voids the SW fetch rows (this phase's and the ceiling's). */
  readonly swProblems: readonly string[];
  readonly coldProblems: readonly string[];
  readonly coldRawMbps: number;
  readonly coldFromPeers: number;
  readonly coldSwMbps: number;
  readonly wrongBytes: boolean;
}

/** One round's log line: what each transfer reached, and what went wrong. */
export function describeRound(r: Round): string {
  return `cold raw ${mbPerSec(r.coldRaw.bytes, r.coldRaw.ms).toFixed(1)}, cold SW ${mbPerSec(r.coldSw.bytes, r.coldSw.totalMs).toFixed(1)}; raw ${r.raw.map((x) => mbPerSec(x.bytes, x.ms).toFixed(1)).join(' / ')} MB/s, SW from peer ${mbPerSec(r.sw.bytes, r.sw.totalMs).toFixed(1)} MB/s (first byte ${r.sw.firstByteMs.toFixed(0)} ms)${r.sw.problems.length ? `; PROBLEMS: ${r.sw.problems.join('; ')}` : ''}`;
}

/** The phase's figures over its rounds. */
export function throughputFigures(rounds: readonly Round[]): ThroughputFigures {
  const first = rounds.flatMap((r) => r.firstByte);
  const firstFromPeers = first.filter((f) => f.problems.length === 0 && f.sources.peerResponses >= 1);
  // Only first fetches that came wholly from A; one that fell back to the origin is not a P2P figure.
  const coldFromPeers = rounds.filter((r) => r.coldSw.problems.length === 0);
  return {
    rounds: rounds.length,
    rawMbps: med(rounds.flatMap((r) => r.raw.map((x) => mbPerSec(x.bytes, x.ms)))),
    swMbps: med(rounds.map((r) => mbPerSec(r.sw.bytes, r.sw.totalMs))),
    // Paired: each SW fetch against the mean of the raw transfers just before and after it.
    pairedRatio: med(rounds.map((r) => mbPerSec(r.sw.bytes, r.sw.totalMs) / ((mbPerSec(r.raw[0].bytes, r.raw[0].ms) + mbPerSec(r.raw[1].bytes, r.raw[1].ms)) / 2))),
    first,
    firstFromPeers,
    firstMs: firstFromPeers.length > 0 ? med(firstFromPeers.map((f) => f.firstByteMs)) : Number.NaN,
    // Fewer than two thirds from peers is not a first-P2P-byte figure any more.
    firstValid: firstFromPeers.length >= Math.ceil((first.length * 2) / 3),
    swProblems: rounds.flatMap((r) => r.sw.problems.map((p) => `${r.visitor}: ${p}`)),
    coldProblems: rounds.flatMap((r) => r.coldSw.problems.map((p) => `${r.visitor}, first 32 MiB (reference only): ${p}`)),
    coldRawMbps: med(rounds.map((r) => mbPerSec(r.coldRaw.bytes, r.coldRaw.ms))),
    coldFromPeers: coldFromPeers.length,
    coldSwMbps: coldFromPeers.length > 0 ? med(coldFromPeers.map((r) => mbPerSec(r.coldSw.bytes, r.coldSw.totalMs))) : Number.NaN,
    wrongBytes: rounds.some((r) => r.sw.wrongBytes || r.coldSw.wrongBytes || r.firstByte.some((f) => f.wrongBytes)),
  };
}

/** The raw channel (the baseline), the SW fetch from A against it, and the first P2P byte against its budget. */
export function throughputRows(t: ThroughputFigures): PhaseRow[] {
  return [
    { row: benchRow('raw RTCDataChannel A→B', t.rawMbps, 'MB/s', null, null), against: '', needs: ['throughput'] },
    {
      row: benchRow('SW fetch from peer A→B, 32 MiB', t.swMbps, 'MB/s', t.pairedRatio, TARGET_THROUGHPUT, t.swProblems.length === 0),
      against: 'raw channel',
      needs: ['throughput'],
    },
    {
      row: benchRow(`first P2P byte, median of ${t.firstFromPeers.length}`, t.firstMs, 'ms', FIRST_BYTE_BUDGET_MS / t.firstMs, 1, t.firstValid),
      against: `${FIRST_BYTE_BUDGET_MS} ms budget`,
      needs: ['throughput'],
    },
  ];
}

/** The table's reference lines: the first 32 MiB on a new raw channel, and through B's SW from A. */
export function throughputReferenceLines(t: ThroughputFigures): string[][] {
  return [
    ['(raw, first 32 MiB on a new channel)', `${t.coldRawMbps.toFixed(1)} MB/s`, 'for reference', '—', '—', ''],
    [
      `(SW from peer, first 32 MiB, ${t.coldFromPeers} of ${t.rounds})`,
      t.coldFromPeers > 0 ? `${t.coldSwMbps.toFixed(1)} MB/s` : '—',
      'cold raw',
      formatRatio(t.coldFromPeers > 0 ? t.coldSwMbps / t.coldRawMbps : null),
      '—',
      '',
    ],
  ];
}

/** The phase's PROBLEM lines: the timed SW fetches, the cold ones, then each first-byte file. */
export function throughputProblems(t: ThroughputFigures): string[] {
  return [...t.swProblems, ...t.coldProblems, ...t.first.flatMap((f) => f.problems.map((p) => `first byte: ${p}`))];
}

/** The PROBLEM line for too few first-byte files from peers, if there were. */
export function firstByteShortfall(t: ThroughputFigures): string | undefined {
  return t.firstValid ? undefined : `only ${t.firstFromPeers.length} of ${t.first.length} first-byte files came wholly from peers`;
}

/** Each round as the RESULT line carries it. */
export function roundsInfo(rounds: readonly Round[]) {
  return rounds.map((r) => ({
    visitor: r.visitor,
    rawMBps: r.raw.map((x) => round1(mbPerSec(x.bytes, x.ms))),
    swMBps: round1(mbPerSec(r.sw.bytes, r.sw.totalMs)),
    swFirstByteMs: round1(r.sw.firstByteMs),
    swSources: r.sw.sources,
    coldRawMBps: round1(mbPerSec(r.coldRaw.bytes, r.coldRaw.ms)),
    coldSwMBps: round1(mbPerSec(r.coldSw.bytes, r.coldSw.totalMs)),
    coldSwSources: r.coldSw.sources,
    rawMessageBytes: r.raw[0].messageBytes,
  }));
}
