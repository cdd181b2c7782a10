/**
 * The SW's availability view: how many peers of this site hold each manifest file, so a request is
 * routed the moment it arrives, without a round trip. It starts from the view the last SW run kept
 * in IndexedDB (a navigation often starts a fresh SW, and the page's first requests come before any
 * network answer), is replaced by `GET /swarmcdn/availability` at start (`ready`), and then follows the
 * tracker's pushes, which each page bridge forwards. Unknown (no view at all) is not zero: a
 * request is then sent to the origin, and only an origin failure waits for peers.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import { MAX_ASSET_MAX_AGE_SECONDS, parseAvailabilityView } from '../protocol/messages/availability.js';
import { ROUTES, serverUrl } from '../protocol/wire.js';
import type { Sha256Sri } from '../protocol/index.js';
import { CACHE_STORES, parseHolderCounts } from '../protocol/messages/sw-page.js';
import { withDeadline } from './deadline.js';
import { timedFetch, type OriginTiming } from './origin-timing.js';

const STORE_KEY = 'availability';
/** A kept view older than this says little about who is online now: not used. */
const MAX_KEPT_AGE_MS = 10 * 60_000;
/** Writes of the kept view at most this often (pushes come every second while peers churn). */
const PERSIST_EVERY_MS = 2_000;
/** 5 s: a small JSON answer; past this the SW routes on what it has. */
const FETCH_TIMEOUT_MS = 5_000;
/** 2 s: IndexedDB answers in milliseconds. */
const IDB_TIMEOUT_MS = 2_000;

/** The origin of `url` (relative to `base`), or undefined when it is no URL. */
function originOf(url: string, base: string): string | undefined {
  try {
    return new URL(url, base).origin;
  } catch {
    return undefined;
  }
}

interface KeptView {
  readonly at: number;
  readonly files: Record<string, number>;
  readonly assetMaxAge?: number;
}

/** What the view needs. */
export interface AvailabilityOptions {
  readonly timing: OriginTiming;
  readonly fetch?: typeof fetch;
  /** The site's origin (the SW's own): the site whose view is asked for. */
  readonly origin: string;
  /** The swarmcdn server's base URL (wire.ts): a path prefix or another origin; default `origin`. */
  readonly server?: string;
}

/** Holder counts by file SRI. */
export class AvailabilityView {
  private counts = new Map<Sha256Sri, number>();
  private hasView = false;
  private assetMaxAge: number | undefined;
  private persistTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly store: UseStore;
  /** Settles once the kept view is loaded (or found missing) and the first fetch of the server's view ended. */
  readonly ready: Promise<void>;

  constructor(private readonly options: AvailabilityOptions) {
    this.store = createStore(CACHE_STORES.state.db, CACHE_STORES.state.store);
    const kept = this.loadKept().catch(() => undefined);
    this.ready = kept.then(() => this.refresh());
  }

  /**
   * Resolves at once when there is a view (kept or fetched), else when the first fetch ends or after
   * `ms`: a SW with no view at all waits one round trip rather than send everything to the origin.
   */
  async known(ms: number): Promise<void> {
    if (this.hasView) return;
    await withDeadline(this.ready, ms);
  }

  /** How many peers hold `file`, or undefined when the SW has no view at all. */
  holders(file: Sha256Sri): number | undefined {
    if (!this.hasView) return undefined;
    return this.counts.get(file) ?? 0;
  }

  /** Whether there is a view, and how many files it says peers hold (for stats). */
  summary(): { known: boolean; files: number } {
    return { known: this.hasView, files: this.counts.size };
  }

  /** Files with holders, most held first. */
  mostHeld(): Sha256Sri[] {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1]).map(([file]) => file);
  }

  /** A full view (replaces) or a delta (each count is the file's count now; 0 removes it). */
  apply(full: boolean, files: Readonly<Record<Sha256Sri, number>>): void {
    if (full) this.counts = new Map();
    for (const key of Object.keys(files) as Sha256Sri[]) {
      const count = files[key]!;
      if (count > 0) this.counts.set(key, count);
      else this.counts.delete(key);
    }
    this.hasView = true;
    this.schedulePersist();
  }

  /** Fetches the server's view now (at SW start and when a manifest changes); a failure keeps what the SW has. */
  async refresh(): Promise<void> {
    const fetchImpl = this.options.fetch ?? fetch;
    // The site named explicitly: behind a proxy, or on another origin, the server sees another host
    // than the page's. No credentials: a public view, which a server elsewhere answers with CORS `*`.
    const server = this.options.server ?? this.options.origin;
    const url = `${serverUrl(server, ROUTES.availability)}?site=${encodeURIComponent(this.options.origin)}`;
    const get = (): Promise<Response> => fetchImpl(url, { cache: 'no-store', credentials: 'omit' });
    // Only the site's own origin is timed: the hedges wait on the origin, not on a swarmcdn server elsewhere.
    const response = originOf(url, this.options.origin) === this.options.origin ? timedFetch(this.options.timing, get) : get();
    const answer = await withDeadline(
      response.then(async (r) => (r.ok ? ((await r.json()) as unknown) : undefined)),
      FETCH_TIMEOUT_MS,
    ).catch(() => undefined);
    const view = parseAvailabilityView(answer);
    if (!view) return;
    this.apply(true, view.files);
    this.assetMaxAge = view.assetMaxAgeSeconds;
  }

  /** The `cache-control` the origin gives site files (from the server's view), for the SW's own answers; undefined when unknown or 0. */
  cacheControl(): string | undefined {
    return this.assetMaxAge ? `public, max-age=${this.assetMaxAge}` : undefined;
  }

  private async loadKept(): Promise<void> {
    const kept = (await withDeadline(get<unknown>(STORE_KEY, this.store), IDB_TIMEOUT_MS)) as Partial<KeptView> | undefined | symbol;
    // A view that arrived while this was loading is newer than anything kept.
    if (this.hasView || typeof kept !== 'object' || kept === null) return;
    if (typeof kept.at !== 'number' || Date.now() - kept.at > MAX_KEPT_AGE_MS) return;
    const files = parseHolderCounts(kept.files);
    if (!files) return;
    this.apply(true, files);
    const maxAge = kept.assetMaxAge;
    if (typeof maxAge === 'number' && Number.isSafeInteger(maxAge) && maxAge >= 0 && maxAge <= MAX_ASSET_MAX_AGE_SECONDS) this.assetMaxAge = maxAge;
  }

  private schedulePersist(): void {
    if (this.persistTimer !== undefined) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      const kept: KeptView = { at: Date.now(), files: Object.fromEntries(this.counts), ...(this.assetMaxAge === undefined ? {} : { assetMaxAge: this.assetMaxAge }) };
      void set(STORE_KEY, kept, this.store).catch(() => undefined);
    }, PERSIST_EVERY_MS);
  }
}
