/**
 * Hashes one file in a single pass: the whole-file SHA-256 and one SHA-256 per chunk, read with
 * one reusable buffer. node:crypto is OpenSSL (SHA-NI where the CPU has it), several times faster
 * than any WASM hash; synchronous reads are the fastest path inside a worker thread.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SwarmError, type Sha256Sri } from '../protocol/index.js';

/** The integrity values of one file. */
export interface FileHashes {
  readonly size: number;
  readonly integrity: Sha256Sri;
  readonly chunks: Sha256Sri[];
}

const sri = (digest: string): Sha256Sri => `sha256-${digest}`;

/**
 * Hashes `path` at `chunkSize`. `buffer` (at least chunkSize bytes) is reused across calls.
 * `expectedSize`, when given, must match: a file that grows or shrinks while a build runs would
 * otherwise sign a manifest that matches nothing.
 */
export function hashFileSync(path: string, chunkSize: number, buffer: Buffer, expectedSize?: number): FileHashes {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (expectedSize !== undefined && size !== expectedSize) {
      throw new SwarmError('FILE_CHANGED', `${path} changed size while hashing`, { path });
    }
    const whole = createHash('sha256');
    const chunks: Sha256Sri[] = [];
    let offset = 0;
    while (offset < size) {
      const want = Math.min(chunkSize, size - offset);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buffer, got, want - got, offset + got);
        if (n === 0) throw new SwarmError('FILE_CHANGED', `${path} shrank while hashing`, { path });
        got += n;
      }
      const view = buffer.subarray(0, want);
      whole.update(view);
      // A file of one chunk: its chunk hash is its file hash, so hash it once.
      if (want < size) chunks.push(sri(createHash('sha256').update(view).digest('base64')));
      offset += want;
    }
    const integrity = sri(whole.digest('base64'));
    if (size > 0 && size <= chunkSize) chunks.push(integrity);
    return { size, integrity, chunks };
  } finally {
    closeSync(fd);
  }
}
