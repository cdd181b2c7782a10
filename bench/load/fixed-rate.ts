/**
 * The fixed-rate workload: OFFERs at a set rate, round robin over the pairs, open loop (a slow
 * reply never holds back the next send), each timed from send to receipt on this process's one
 * clock.
 *
 * The generator checks its own timekeeping, because its stalls look exactly like server latency:
 * how late its event loop ran a 1 ms timer, and how late each message left against its due time.
 * Both cover the timed part only (after the warm-up). A message the generator could not send
 * within SKIP_LATE_MS of its due time — it was stalled itself — is skipped, not sent late: sending
 * all of a stall's backlog at once would make a burst that queues at the server, and the
 * generator's stall would be counted as the server's latency. Skips are counted and reported.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sentAt } from './offer.js';
import { bump } from './peers.js';
import { detach, pairsOf, sendOffer } from './pairs.js';
import type { GeneratorCommand, GeneratorResults, Reasons } from './protocol.js';

/** The event-loop monitor's timer: the histogram records its intervals, so lag is interval − this. */
const LOOP_TIMER_MS = 1;
/**
 * How late a message may leave before it is skipped: the 1 ms ticker alone makes sends up to about
 * 2 ms late (libuv's clock has millisecond steps), so 5 ms late means the generator itself stalled.
 */
const SKIP_LATE_MS = 5;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Sends `perSecond` OFFERs a second for warmupMs + durationMs, then waits up to drainMs for the last. */
export function rate(command: Extract<GeneratorCommand, { op: 'rate' }>): Promise<GeneratorResults['rate']> {
  const pairs = pairsOf(command.group);
  const unexpected: Reasons = {};
  const latenciesMs: number[] = [];
  const sendLateMs: number[] = [];
  const total = Math.floor((command.perSecond * (command.warmupMs + command.durationMs)) / 1000);
  const msPerMessage = 1000 / command.perSecond;
  const started = performance.now();
  const measureFrom = started + command.warmupMs;
  let sent = 0;
  let skipped = 0;
  let received = 0;
  let done = false;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
  loopDelay.enable();
  const startTiming = setTimeout(() => loopDelay.reset(), command.warmupMs);
  return new Promise((resolve) => {
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(drainTimer);
      clearTimeout(startTiming);
      loopDelay.disable();
      detach(pairs);
      const lag = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
      sendLateMs.sort((x, y) => x - y);
      const timing = {
        loopLagP99Ms: lag(loopDelay.percentile(99)),
        loopLagMaxMs: lag(loopDelay.max),
        sendLateP99Ms: percentile(sendLateMs, 99),
        sendLateMaxMs: sendLateMs.at(-1) ?? 0,
      };
      resolve({ pairs: pairs.length, sent, skipped, received, latenciesMs, timing, unexpected, ms: command.durationMs });
    };
    for (const pair of pairs) {
      pair.from.onRelay = (message) => bump(unexpected, `to sender: ${String(message.type)}`);
      pair.to.onRelay = (message) => {
        const now = performance.now();
        const at = sentAt(message, pair.from.id);
        if (typeof at === 'string') return bump(unexpected, at);
        received++;
        if (at >= measureFrom) latenciesMs.push(now - at);
        if (sent + skipped === total && received === sent) finish();
      };
    }
    // A 1 ms ticker sends whatever is due, so the rate holds when a tick comes a little late (and
    // skips what is long overdue, see above); each message carries the time it actually left, so
    // its own lateness never counts as server latency.
    const ticker = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * command.perSecond) / 1000));
      while (sent + skipped < due) {
        const n = sent + skipped;
        const dueAt = started + n * msPerMessage;
        const at = performance.now();
        if (dueAt >= measureFrom) sendLateMs.push(at - dueAt);
        if (at - dueAt > SKIP_LATE_MS) {
          skipped++;
        } else {
          sendOffer(pairs[n % pairs.length]!, at);
          sent++;
        }
      }
      if (sent + skipped === total) {
        clearInterval(ticker);
        drainTimer = setTimeout(finish, command.drainMs);
      }
    }, 1);
  });
}
