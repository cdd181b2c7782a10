/** One chunk position of a response pipeline: a promise the reader awaits, settled once, abortable. */
import type { PipelineChunk } from './chunk-pipeline.js';

/** A chunk position, from launch to settle. */
export interface Slot {
  readonly index: number;
  readonly promise: Promise<PipelineChunk>;
  abort: AbortController;
  /** 'cache' while its bytes are being read from IndexedDB: such a slot is not missing. */
  phase: 'cache' | 'peer';
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
