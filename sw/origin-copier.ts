/**
 * The origin route's copy into the cache, done when pages are idle. A request the swarm cannot
 * serve goes to the origin with nothing added: the page gets the origin's response as it is. The
 * file is noted here, and once the site's pages are idle (a bridge says so, or a quiet moment with
 * no origin answer) it is read back from the browser's HTTP cache (the origin again only when the
 * entry is incomplete: a page stopped reading it), cut into
 * chunks, checked against the manifest and stored, so this visitor becomes a holder for the next.
 * Hashing and IndexedDB writes are thus kept off the page's critical path: a SW that did them while
 * the page was still asking for its assets made every other answer wait (bench:site's loopback row).
 */
import type { ManifestFile, Sha256Sri } from '../protocol/index.js';
import type { ChunkCache } from './chunk-cache.js';
import { TIMED_OUT, withDeadline } from './deadline.js';
import { copyOriginBody } from './origin-copy.js';

/** A quiet moment: no origin answer for this long and the copies start without waiting for a bridge's word. */
const QUIET_MS = 2_000;
/** Files noted at most (a page of a real site has a few hundred assets). */
const MAX_PENDING = 2_000;
/** The HTTP cache reads a whole file in milliseconds; an entry held by an unfinished writer would make a reader wait far longer. */
const CACHE_READ_TIMEOUT_MS = 2_000;
/** Copies at once. */
const COPIES_AT_ONCE = 4;
/** One copy, whatever it waits on: the queue behind it must move. */
const COPY_TIMEOUT_MS = 30_000;

interface PendingCopy {
  readonly url: string;
  readonly file: ManifestFile;
  readonly chunkSize: number;
  readonly done: () => void;
}

/** What the copier uses. */
export interface OriginCopierDeps {
  readonly cache: ChunkCache;
  /** The SW's fetch (the copier asks the HTTP cache only: `only-if-cached`). */
  readonly fetch: (request: Request) => Promise<Response>;
}

/** Copies origin-served files into the cache at idle time. */
export class OriginCopier {
  private readonly pending = new Map<Sha256Sri, PendingCopy>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private copying = 0;

  constructor(private readonly deps: OriginCopierDeps) {}

  /** Notes a file the origin served whole; resolves when it was copied or dropped (keep the SW alive on it). */
  note(url: string, file: ManifestFile, chunkSize: number): Promise<void> {
    if (this.pending.has(file.integrity) || this.pending.size >= MAX_PENDING) return Promise.resolve();
    const copied = new Promise<void>((done) => this.pending.set(file.integrity, { url, file, chunkSize, done }));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), QUIET_MS);
    return copied;
  }

  /** Files noted and not copied (or dropped) yet. */
  waiting(): number {
    return this.pending.size + this.copying;
  }

  /** Copies everything noted now (a page said it is idle); resolves when the queue is empty. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<void> {
    // A few at once: one slow file (an entry that has to come from the origin again) must not hold the rest.
    const worker = async (): Promise<void> => {
      while (this.pending.size > 0) {
        const [key, job] = this.pending.entries().next().value as [Sha256Sri, PendingCopy];
        this.pending.delete(key);
        this.copying += 1;
        await this.copy(job).catch(() => undefined);
        this.copying -= 1;
        job.done();
      }
    };
    await Promise.all(Array.from({ length: COPIES_AT_ONCE }, worker));
  }

  private async copy({ url, file, chunkSize }: PendingCopy): Promise<void> {
    const { cache } = this.deps;
    if (cache.isTainted(file.integrity) || file.chunks.every((c) => cache.hasChunk(c))) return;
    // The HTTP cache first. An entry the page stopped reading (a navigation away, a font the loader
    // gave up on) is incomplete, or held by its unfinished writer: then, bounded, the origin again.
    const bytes = (await this.read(url, 'only-if-cached', CACHE_READ_TIMEOUT_MS)) ?? (await this.read(url, 'no-store', COPY_TIMEOUT_MS));
    if (!bytes) return;
    // The bytes are what the origin answers: a mismatch means it serves other bytes than the
    // manifest lists, and the file is tainted as if seen in the page's response itself.
    await copyOriginBody(new Response(bytes).body!, file, chunkSize, { cache, onBytes: () => undefined, signal: new AbortController().signal });
  }

  /** The whole body of a 200 for `url` with this cache mode, read within `ms`, or undefined. */
  private async read(url: string, mode: RequestCache, ms: number): Promise<ArrayBuffer | undefined> {
    const abort = new AbortController();
    const work = (async (): Promise<ArrayBuffer | undefined> => {
      const request = new Request(url, { cache: mode, mode: 'same-origin', credentials: 'same-origin', signal: abort.signal });
      const response = await this.deps.fetch(request);
      if (response.status !== 200) {
        void response.body?.cancel().catch(() => undefined);
        return undefined;
      }
      return response.arrayBuffer();
    })().catch(() => undefined);
    const result = await withDeadline(work, ms);
    // Past the deadline the fetch (and its body) is cancelled: nothing keeps reading a stuck entry.
    if (result === TIMED_OUT) abort.abort();
    return result === TIMED_OUT ? undefined : result;
  }
}
