/** Worker-thread entry: hashes batches of files the pool sends, one reusable buffer per worker. */
import { parentPort } from 'node:worker_threads';
import { hashFileSync } from './file-hash.js';
import type { HashRequest, HashResponse } from './hash-pool.js';

let buffer = Buffer.allocUnsafe(0);

parentPort!.on('message', (request: HashRequest) => {
  if (buffer.length < request.chunkSize) buffer = Buffer.allocUnsafe(request.chunkSize);
  const results: HashResponse['results'] = [];
  try {
    for (const file of request.files) results.push(hashFileSync(file.path, request.chunkSize, buffer, file.size));
    parentPort!.postMessage({ id: request.id, results } satisfies HashResponse);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    parentPort!.postMessage({ id: request.id, results, error: { code: e.code, message: e.message ?? String(error) } } satisfies HashResponse);
  }
});
