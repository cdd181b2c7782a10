/**
 * Write-behind in real Chromium: while a response streams, the SW holds its verified chunks back
 * from IndexedDB (what the page waits for comes first), and stores them all once the response has
 * ended, so the visitor then holds the file and the tracker lists it.
 */
import { expect, it } from '@jest/globals';
import { readCache } from './support/cache-view.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import { waitFor, withTimeout } from './support/wait.js';

/** The fixture's chunk size (the CLI's default). */
const CHUNK = 256 * 1024;

const e2e = useE2e({ large: true });

interface HeldRead {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  parts: Uint8Array[];
}

it('holds verified chunks back from IndexedDB while the page reads the response, and stores every one when it ends', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    await e2e().seed(a, [PATHS.large]);
    const b = await e2e().visitor('b');
    const entry = await e2e().site.entry(PATHS.large);
    const file = e2e().file(PATHS.large);
    const before = await b.sw();

    // B's page takes the first part of the body and then stops reading: the response stays open.
    await withTimeout(
      b.page.evaluate(async (path) => {
        const response = await fetch(path);
        const reader = response.body!.getReader();
        const first = await reader.read();
        (window as unknown as { __held: HeldRead }).__held = { reader, parts: first.value ? [first.value] : [] };
      }, PATHS.large),
      30_000,
      'b: the first part of the large file',
    );
    // The SW verifies chunks ahead of the reader (its window runs two windows ahead)…
    const ahead = await b.waitForStats(
      (s) => (s.sw?.bytes.peer ?? 0) + (s.sw?.bytes.origin ?? 0) - before.bytes.peer - before.bytes.origin >= 8 * CHUNK,
      'eight chunks verified ahead of the page',
    );
    // …and none of them is in IndexedDB yet.
    const during = await readCache(b);
    const fileChunks = new Set<string>(entry.chunks);
    expect({ verified: (ahead.sw!.bytes.peer + ahead.sw!.bytes.origin) >= 8 * CHUNK, storedOfTheFile: during.chunks.filter((c) => fileChunks.has(c.key)).length }).toEqual({
      verified: true,
      storedOfTheFile: 0,
    });

    // The page reads the rest: the body is whole and right, and then every chunk is stored.
    const body = await withTimeout(
      b.page.evaluate(async () => {
        const held = (window as unknown as { __held: HeldRead }).__held;
        for (;;) {
          const { done, value } = await held.reader.read();
          if (done) break;
          held.parts.push(value);
        }
        const size = held.parts.reduce((n, p) => n + p.byteLength, 0);
        const all = new Uint8Array(size);
        let at = 0;
        for (const p of held.parts) {
          all.set(p, at);
          at += p.byteLength;
        }
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
        return { size, sha256: Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('') };
      }),
      60_000,
      'b: the rest of the large file',
    );
    expect(body).toEqual({ size: file.size, sha256: file.sha256 });
    // Chunks land before the record that names them (a transaction each): wait for the record too.
    const after = await waitFor(
      () => readCache(b),
      (view) => view.files.find((f) => f.key === entry.integrity)?.complete === true,
      { timeoutMs: 20_000, intervalMs: 200, what: 'b: the large file complete in IndexedDB' },
    );
    expect(after.files.find((f) => f.key === entry.integrity)).toMatchObject({ complete: true, heldChunks: entry.chunks.length });
    expect(after.chunks.filter((c) => fileChunks.has(c.key)).length).toBe(fileChunks.size);
    const bId = await b.peerId();
    await waitFor(() => server.holders(entry.integrity), (h) => h.includes(bId), { timeoutMs: 10_000, what: 'the tracker to list b as a holder' });
  });
}, 120_000);
