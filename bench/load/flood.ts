/**
 * The flat-out workload: every pair keeps a few OFFERs in flight, so the server never waits for
 * work. The generator must not set the pace (then the servers' CPU per message would measure how
 * the generator batches, not what they cost), so it spends as little as it can per message: each
 * pair's OFFER is encoded once (no send time: this workload times nothing), and a delivery is
 * checked on its bytes — an OFFER, from the pair's sender — instead of being parsed.
 */
import type { GeneratorCommand, GeneratorResults, Reasons } from './protocol.js';
import { offerFrame } from './offer.js';
import { bump } from './peers.js';
import { detach, pairsOf, type Pair } from './pairs.js';

const OFFER_TYPE = Buffer.from('"type":"OFFER"');
// Text frames for ws, like a string would go, minus encoding it again for every send.
const TEXT = { binary: false } as const;

/** Why bytes a receiver got are not the relayed OFFER from `src` (they are, when this is null). */
function notRelayed(data: Buffer, srcKey: Buffer): string | null {
  if (data.includes(OFFER_TYPE) && data.includes(srcKey)) return null;
  try {
    const message = JSON.parse(data.toString()) as { type?: unknown };
    return message.type === 'OFFER' ? 'OFFER with wrong src' : String(message.type);
  } catch {
    return 'unparsable';
  }
}

/** Each pair keeps `window` offers in flight; stops at `messages` delivered or at `maxMs` (then drains 2 s). */
export function flood(command: Extract<GeneratorCommand, { op: 'flood' }>): Promise<GeneratorResults['flood']> {
  const pairs = pairsOf(command.group);
  const unexpected: Reasons = {};
  const started = performance.now();
  let budget = command.messages;
  let sent = 0;
  let delivered = 0;
  let done = false;
  return new Promise((resolve) => {
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      detach(pairs);
      resolve({ pairs: pairs.length, sent, delivered, unexpected, ms: performance.now() - started });
    };
    const frames = new Map(pairs.map((pair) => [pair, Buffer.from(offerFrame(pair.head, 0))]));
    const top = (pair: Pair): void => {
      const frame = frames.get(pair)!;
      while (pair.inFlight < command.window && sent < budget) {
        pair.inFlight++;
        sent++;
        pair.from.ws.send(frame, TEXT);
      }
    };
    for (const pair of pairs) {
      const srcKey = Buffer.from(`"src":${JSON.stringify(pair.from.id)}`);
      pair.from.onRelay = (message) => bump(unexpected, `to sender: ${String(message.type)}`);
      pair.to.onRaw = (data) => {
        const wrong = notRelayed(data, srcKey);
        if (wrong !== null) return bump(unexpected, wrong);
        delivered++;
        pair.inFlight--;
        top(pair);
        if (delivered === budget) finish();
      };
    }
    // At the time limit stop sending and give what is in flight a moment to land.
    let drainTimer: NodeJS.Timeout | undefined;
    const stopTimer = setTimeout(() => {
      budget = sent;
      if (delivered >= budget) return finish();
      drainTimer = setTimeout(finish, 2_000);
    }, command.maxMs);
    for (const pair of pairs) top(pair);
  });
}
