/**
 * Sender → receiver pairs over a group's peers, (2k, 2k+1), for the workloads that relay OFFERs
 * from one to the other (flood.ts, fixed-rate.ts).
 */
import WebSocket from 'ws';
import { offerFrame, offerHead } from './offer.js';
import { groupOf, type Peer } from './peers.js';

/** One sender and its receiver, both open. */
export interface Pair {
  readonly from: Peer;
  readonly to: Peer;
  /** The OFFER up to the connectionId's value; the send time closes it. */
  readonly head: string;
  inFlight: number;
}

/** The group's pairs whose both sockets are open; throws when there are none. */
export function pairsOf(group: string): Pair[] {
  const { peers } = groupOf(group);
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < peers.length; i += 2) {
    const from = peers[i]!;
    const to = peers[i + 1]!;
    if (from.ws.readyState !== WebSocket.OPEN || to.ws.readyState !== WebSocket.OPEN) continue;
    pairs.push({ from, to, head: offerHead(to.id, pairs.length % 2 === 0 ? 'data' : 'media'), inFlight: 0 });
  }
  if (pairs.length === 0) throw new Error(`group ${group} has no open pairs`);
  return pairs;
}

/** Sends one OFFER from the pair's sender, stamped with `now`. */
export function sendOffer(pair: Pair, now: number): void {
  pair.from.ws.send(offerFrame(pair.head, now));
}

/** Stops listening to the pairs' peers. */
export function detach(pairs: readonly Pair[]): void {
  for (const pair of pairs) {
    pair.to.onRelay = null;
    pair.from.onRelay = null;
    pair.to.onRaw = null;
    pair.from.onRaw = null;
    pair.inFlight = 0;
  }
}
