/**
 * Hashes many files on all cores: worker threads pull batches from one queue, largest files first
 * (longest-processing-time order keeps the cores evenly busy when a few files dominate the bytes).
 */
import { availableParallelism } from 'node:os';
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
  const threads = options.threads ?? availableParallelism();
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
      try {
        record(i, hashFileSync(job.path, options.chunkSize, buffer, job.size));
      } catch (error) {
        throw error instanceof SwarmError ? error : toSwarmError(error as { code?: string; message: string });
      }
    });
    return results;
  }

  const batches = makeBatches(jobs);
  const workerCount = Math.max(1, Math.min(threads, batches.length));
  const workers = Array.from({ length: workerCount }, () => new Worker(new URL('./hash-worker.js', import.meta.url)));
  let next = 0;
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
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
