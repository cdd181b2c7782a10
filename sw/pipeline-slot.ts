/** One chunk position of a response pipeline: a promise the reader awaits, settled once, abortable. */
import type { PipelineChunk } from './pipeline-context.js';

/** A chunk position, from launch to settle. */
export interface Slot {
  readonly index: number;
  readonly promise: Promise<PipelineChunk>;
  abort: AbortController;
  /** 'cache' while its bytes are being read from IndexedDB: such a slot is not missing. */
  phase: 'cache' | 'peer';
  /** When its (first) peer ask went out, epoch ms; undefined before. */
  askedAt: number | undefined;
  /** Peer asks in flight for it (two in the end game): it has failed only when the last one fails. */
  asking: number;
  /** True once it was asked a second time (end-game.ts): never a third. */
  reasked: boolean;
  settled: boolean;
  resolve(chunk: PipelineChunk): void;
  reject(error: unknown): void;
}

/** A fresh slot: the first resolve or reject wins, later ones are ignored. */
export function createSlot(index: number): Slot {
  let resolve!: (c: PipelineChunk) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<PipelineChunk>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits (the response was cancelled) must not surface as unhandled.
  promise.catch(() => undefined);
  const slot: Slot = {
    index,
    promise,
    abort: new AbortController(),
    phase: 'cache',
    askedAt: undefined,
    asking: 0,
    reasked: false,
    settled: false,
    resolve: (c) => {
      if (slot.settled) return;
      slot.settled = true;
      resolve(c);
    },
    reject: (e) => {
      if (slot.settled) return;
      slot.settled = true;
      reject(e);
    },
  };
  return slot;
}
