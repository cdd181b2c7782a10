/**
 * What bench/signal.ts and its load-generator processes (bench/load/signal-peers.ts) say to each
 * other over IPC: the commands, their answers and the shapes they share. Types only.
 */

/** A signalling endpoint, addressed the way the stock client builds its URLs. */
export interface Target {
  readonly port: number;
  /** The client's `path` with its trailing slash, e.g. `/swarmcdn/peerjs/`. */
  readonly path: string;
  readonly key: string;
}

/** What bench/signal.ts asks for; peers live in named groups, pairs are (2k, 2k+1) in a group. */
export type GeneratorCommand =
  | { op: 'open'; group: string; target: Target; count: number; addresses: readonly string[]; concurrency: number; maxMs: number }
  | { op: 'held'; group: string }
  | { op: 'close'; group: string; maxMs: number }
  | { op: 'flood'; group: string; messages: number; window: number; maxMs: number }
  | { op: 'rate'; group: string; perSecond: number; warmupMs: number; durationMs: number; drainMs: number }
  | { op: 'frame'; group: string; text: string; waitMs: number }
  | { op: 'gc' };

/** Counts of things that went wrong, by a short reason. */
export type Reasons = Record<string, number>;

/** How well the generator itself kept time over a run, ms. */
export interface GeneratorTiming {
  /** How late its own 1 ms timer ran (event-loop lag): p99 and max. */
  readonly loopLagP99Ms: number;
  readonly loopLagMaxMs: number;
  /** How long after its due time each message actually left: p99 and max. */
  readonly sendLateP99Ms: number;
  readonly sendLateMaxMs: number;
}

/** The answer to each command. */
export interface GeneratorResults {
  open: { opened: number; failed: number; reasons: Reasons; ms: number };
  held: { held: number; droppedAfterOpen: Reasons; unexpected: Reasons };
  close: { closed: number; terminated: number; ms: number };
  flood: { pairs: number; sent: number; delivered: number; unexpected: Reasons; ms: number };
  /**
   * latenciesMs: one per message sent after the warm-up and received in time; `skipped`: messages not
   * sent because the generator was itself too late for them; `ms` spans the timed part.
   */
  rate: { pairs: number; sent: number; skipped: number; received: number; latenciesMs: number[]; timing: GeneratorTiming; unexpected: Reasons; ms: number };
  /** replies: each message's type, and its payload.code where it has one. */
  frame: { replies: string[]; closeCode: number | null };
  /** Whether a collection ran (the process has --expose-gc). */
  gc: { collected: boolean };
}

/** An IPC request: a command and the number its reply carries. */
export type GeneratorRequest = GeneratorCommand & { readonly req: number };

/** An IPC reply. */
export type GeneratorReply = { req: number; ok: true; result: unknown } | { req: number; ok: false; error: string };
