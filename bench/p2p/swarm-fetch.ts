/**
 * Fetches through a visitor's service worker, timed in the page: request to first body byte, and
 * to the last; optionally the SHA-256 of the body (computed after the clock stops). The SW's
 * counters before and after say where the bytes came from.
 */
import type { SwStats } from '../../protocol/messages/sw-page.js';
import { swarmStats, withTimeout, type Visitor } from './browser.js';
import './page-types.js';

/** One timed fetch. */
export interface FetchRun {
  readonly url: string;
  readonly status: number;
  readonly bytes: number;
  readonly firstByteMs: number;
  readonly totalMs: number;
  /** Base64 SHA-256 of the body, when asked for. */
  readonly sha256: string | undefined;
}

/** Where one fetch's bytes came from, by the SW's counters. */
export interface SourceDelta {
  readonly peer: number;
  readonly cache: number;
  readonly origin: number;
  readonly peerResponses: number;
  readonly badChunks: number;
}

/** Fetches `url` in the visitor's page; bounded by `timeoutMs` (in the page and here). */
export function timedFetch(visitor: Visitor, url: string, hash: boolean, timeoutMs: number): Promise<FetchRun> {
  return withTimeout(
    visitor.page.evaluate(
      async ({ url, hash, timeoutMs }) => {
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), timeoutMs);
        try {
          const started = performance.now();
          const response = await fetch(url, { signal: abort.signal });
          const reader = response.body!.getReader();
          const parts: Uint8Array[] = [];
          let first = -1;
          let bytes = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (first < 0) first = performance.now();
            parts.push(value);
            bytes += value.byteLength;
          }
          const ended = performance.now();
          let sha256: string | undefined;
          if (hash) {
            const body = new Uint8Array(bytes);
            let offset = 0;
            for (const part of parts) {
              body.set(part, offset);
              offset += part.byteLength;
            }
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
            let binary = '';
            for (const b of digest) binary += String.fromCharCode(b);
            sha256 = btoa(binary);
          }
          return { url, status: response.status, bytes, firstByteMs: (first < 0 ? ended : first) - started, totalMs: ended - started, sha256 };
        } finally {
          clearTimeout(timer);
        }
      },
      { url, hash, timeoutMs },
    ),
    timeoutMs + 5_000,
    `${visitor.name}: fetch ${url}`,
  );
}

/** The SW counters now. */
export async function swCounters(visitor: Visitor): Promise<SwStats> {
  return (await swarmStats(visitor)).sw;
}

/** after − before. */
export function sourceDelta(before: SwStats, after: SwStats): SourceDelta {
  return {
    peer: after.bytes.peer - before.bytes.peer,
    cache: after.bytes.cache - before.bytes.cache,
    origin: after.bytes.origin - before.bytes.origin,
    peerResponses: after.responses.peer - before.responses.peer,
    badChunks: after.badChunks - before.badChunks,
  };
}

/** A fetch with its source delta. */
export async function fetchWithSources(visitor: Visitor, url: string, hash: boolean, timeoutMs: number): Promise<FetchRun & { sources: SourceDelta }> {
  const before = await swCounters(visitor);
  const run = await timedFetch(visitor, url, hash, timeoutMs);
  // The SW may count the last bytes a moment after the body ends; give it a short settle.
  let after = await swCounters(visitor);
  for (let i = 0; i < 10 && after.bytes.peer + after.bytes.origin + after.bytes.cache - (before.bytes.peer + before.bytes.origin + before.bytes.cache) < run.bytes; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await swCounters(visitor);
  }
  return { ...run, sources: sourceDelta(before, after) };
}
