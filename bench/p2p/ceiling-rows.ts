/**
 * The ceiling phase's rows (bench/p2p/ideal-relay.ts measures its rounds): the raw channel relayed
 * through a bare SW, paired against the raw channel into the same page as the throughput rounds
 * pair theirs, and swarmcdn's SW fetch against that. Both ratios are paired within their own
 * rounds, so the SW-against-ceiling figure compares like with like on a drifting shared machine.
 */
import { formatRatio } from '../bench-result.js';
import { benchRow, mbPerSec, med, round1 } from './figures.js';
import type { RelayRound } from './ideal-relay.js';
import type { PhaseRow } from './phases.js';
import type { ThroughputFigures } from './throughput-rows.js';

/** The SW fetch against the ceiling row (a bare SW relay) of the same run. */
export const TARGET_OF_CEILING = 0.95;

/** The relay's medians over its rounds (NaN where there were none). */
export interface CeilingFigures {
  readonly relayMbps: number;
  /** Median over rounds of each relay against the mean of the raw transfers just before and after it. */
  readonly relayRatio: number;
  /** The same for the relay served from A's IndexedDB (NaN when not measured). */
  readonly storedMbps: number;
  readonly storedRatio: number;
}

/** One relay round's log line. */
export function describeRelay(r: RelayRound): string {
  const stored = r.stored ? `, served from A's IndexedDB ${mbPerSec(r.stored.bytes, r.stored.ms).toFixed(1)} MB/s` : '';
  return `raw ${r.raw.map((x) => mbPerSec(x.bytes, x.ms).toFixed(1)).join(' / ')} MB/s, relayed through a bare SW ${mbPerSec(r.relay.bytes, r.relay.ms).toFixed(1)} MB/s${stored}`;
}

/** The phase's figures over its rounds. */
export function ceilingFigures(relays: readonly RelayRound[]): CeilingFigures {
  const rawMean = (r: RelayRound): number => (mbPerSec(r.raw[0].bytes, r.raw[0].ms) + mbPerSec(r.raw[1].bytes, r.raw[1].ms)) / 2;
  const stored = relays.flatMap((r) => (r.stored ? [{ mbps: mbPerSec(r.stored.bytes, r.stored.ms), raw: rawMean(r) }] : []));
  return {
    relayMbps: med(relays.map((r) => mbPerSec(r.relay.bytes, r.relay.ms))),
    relayRatio: med(relays.map((r) => mbPerSec(r.relay.bytes, r.relay.ms) / rawMean(r))),
    storedMbps: med(stored.map((s) => s.mbps)),
    storedRatio: med(stored.map((s) => s.mbps / s.raw)),
  };
}

/** The SW fetch from A against the ceiling: it needs the throughput phase too. */
export function ceilingRow(t: ThroughputFigures, c: CeilingFigures): PhaseRow {
  return {
    row: benchRow('SW fetch from peer A→B against the ceiling', t.swMbps, 'MB/s', t.pairedRatio / c.relayRatio, TARGET_OF_CEILING, t.swProblems.length === 0),
    against: 'ceiling ratio',
    needs: ['throughput', 'ceiling'],
  };
}

/** The table's reference lines: the relay itself against the raw channel; served from storage, against the raw channel and against the relay; the SW fetch against that. */
export function ceilingReferenceLines(c: CeilingFigures, t: ThroughputFigures | undefined): string[][] {
  const lines = [['(ceiling: raw relayed through a bare SW)', `${c.relayMbps.toFixed(1)} MB/s`, 'raw channel', formatRatio(c.relayRatio), '—', '']];
  if (Number.isFinite(c.storedRatio)) {
    lines.push(['(ceiling served from IndexedDB)', `${c.storedMbps.toFixed(1)} MB/s`, 'raw channel', formatRatio(c.storedRatio), '—', '']);
    lines.push(['(the same, against the ceiling)', `${c.storedMbps.toFixed(1)} MB/s`, 'ceiling ratio', formatRatio(c.storedRatio / c.relayRatio), '—', '']);
    if (t) lines.push(['(SW fetch against it)', `${t.swMbps.toFixed(1)} MB/s`, 'stored ratio', formatRatio(t.pairedRatio / c.storedRatio), '—', '']);
  }
  return lines;
}

/** Each relay round as the RESULT line carries it. */
export function relaysInfo(relays: readonly RelayRound[]) {
  return relays.map((r) => ({
    rawMBps: r.raw.map((x) => round1(mbPerSec(x.bytes, x.ms))),
    relayMBps: round1(mbPerSec(r.relay.bytes, r.relay.ms)),
    storedMBps: r.stored ? round1(mbPerSec(r.stored.bytes, r.stored.ms)) : null,
  }));
}
