/**
 * Hashes many files on all cores: worker threads pull batches from one queue, largest files first
 * (longest-processing-time order keeps the cores evenly busy when a few files dominate the bytes).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SwarmError, isErrorCode } from '../protocol/index.js';
import { hashFileSync, type FileHashes } from './file-hash.js';

/** One file to hash, with the size the walk saw. */
export interface HashJob {
  readonly path: string;
  readonly size: number;
}

/** Pool → worker. */
export interface HashRequest {
  readonly id: number;
  readonly chunkSize: number;
  readonly files: readonly HashJob[];
}

/** Worker → pool: the results in request order, and the error that stopped the batch, if any. */
export interface HashResponse {
  readonly id: number;
  readonly results: FileHashes[];
  readonly error?: { code?: string | undefined; message: string };
}

/** How to hash. */
export interface HashOptions {
  readonly chunkSize: number;
  /** Worker threads; 0 hashes on the calling thread. Default: every core. */
  readonly threads?: number;
  /** Called as files finish, with running totals. */
  readonly onProgress?: (bytesDone: number, filesDone: number) => void;
  /** Stops the hashing (workers terminated) with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Where the worker's bundle is, relative to this module wherever it was bundled: beside it (the
 * CLI, dist/manifest-tool/cli.js), in dist/manifest-tool/ next to the server's bundle
 * (dist/server/main.js) or the library chunks (dist/lib/chunks/), or, run from the TypeScript
 * sources (jest), the built one in dist/.
 */
const WORKER_CANDIDATES = ['./hash-worker.js', '../manifest-tool/hash-worker.js', '../../manifest-tool/hash-worker.js', '../dist/manifest-tool/hash-worker.js'];

/** The worker script's URL, or undefined when none is built (then files are hashed on the calling thread). */
export function hashWorkerUrl(): URL | undefined {
  return WORKER_CANDIDATES.map((c) => new URL(c, import.meta.url)).find((url) => existsSync(fileURLToPath(url)));
}

// Batches amortize the message round trip over many small files without starving a core at the end.
const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_FILES = 256;

function toSwarmError(error: { code?: string | undefined; message: string }): SwarmError {
  if (isErrorCode(error.code)) return new SwarmError(error.code, error.message);
  if (error.code === 'ENOENT') return new SwarmError('FILE_CHANGED', `a file vanished while hashing: ${error.message}`);
  return new SwarmError('INPUT_NOT_FOUND', error.message);
}

function makeBatches(jobs: readonly HashJob[]): number[][] {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.size - jobs[a]!.size);
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of order) {
    current.push(i);
    bytes += jobs[i]!.size;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Hashes every job; results come back in the jobs' order. */
export async function hashFiles(jobs: readonly HashJob[], options: HashOptions): Promise<FileHashes[]> {
  const workerUrl = hashWorkerUrl();
  const threads = workerUrl === undefined ? 0 : (options.threads ?? availableParallelism());
  const results = new Array<FileHashes>(jobs.length);
  let bytesDone = 0;
  let filesDone = 0;
  const record = (index: number, hashes: FileHashes): void => {
    results[index] = hashes;
    bytesDone += hashes.size;
    filesDone++;
    options.onProgress?.(bytesDone, filesDone);
  };

  if (threads === 0) {
    const buffer = Buffer.allocUnsafe(options.chunkSize);
    jobs.forEach((job, i) => {
      options.signal?.throwIfAborted();
      try {
        record(i, hashFileSync(job.path, options.chunkSize, buffer, job.size));
      } catch (error) {
        throw error instanceof SwarmError ? error : toSwarmError(error as { code?: string; message: string });
      }
    });
    return results;
  }

  options.signal?.throwIfAborted();
  const batches = makeBatches(jobs);
  const workerCount = Math.max(1, Math.min(threads, batches.length));
  const workers = Array.from({ length: workerCount }, () => new Worker(workerUrl!));
  let next = 0;
  // One listener for the whole pool, removed at the end: a server's signal outlives many builds.
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(options.signal?.reason);
  });
  aborted.catch(() => undefined);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= batches.length) return resolve();
              const id = next++;
              worker.postMessage({ id, chunkSize: options.chunkSize, files: batches[id]!.map((i) => jobs[i]!) } satisfies HashRequest);
            };
            worker.on('message', (response: HashResponse) => {
              const batch = batches[response.id]!;
              response.results.forEach((hashes, k) => record(batch[k]!, hashes));
              if (response.error) reject(toSwarmError(response.error));
              else send();
            });
            worker.on('error', reject);
            aborted.catch(reject);
            send();
          }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
