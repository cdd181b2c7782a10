/**
 * The manifest the SW routes by. It starts from the last good envelope persisted in IndexedDB
 * (re-verified: the bytes on disk are no more trusted than the network), then refreshes from
 * /swarmcdn/manifest. A refused manifest (forged, rolled back, expired, malformed) leaves the last
 * good one in place and is counted; the highest version ever accepted is persisted as the
 * rollback floor. Past its expiresAt a manifest routes nothing: everything goes to the network.
 *
 * Peers relay envelopes too (`offer`): verified by the same function, keys and floor as the
 * server's. A newer one is adopted; an older or equal one, or one expired or below the floor (a
 * race with the server's push, a clock apart), is ignored; anything else (forged, malformed) is
 * refused, counted, and its code returned so the bridge drops the peer. Switches happen one at a
 * time, in version order, and `beforeSwitch` runs before the new manifest becomes current (the
 * HTTP cache's entries for changed paths are revalidated: http-cache-refresh.ts); the switch
 * itself is one assignment, so a request routes wholly by the old manifest or wholly by the new.
 */
import { createStore, getMany, setMany, type UseStore } from 'idb-keyval';
import { DEFAULT_MAX_ENVELOPE_BYTES, isSwarmError, verifyManifest, type ErrorCode, type Manifest, type TrustedKey } from '../protocol/index.js';
import { CACHE_STORES } from '../protocol/messages/sw-page.js';
import { ROUTES } from '../protocol/wire.js';
import { withDeadline } from './deadline.js';
import type { SwStatsCounter } from './sw-stats.js';

/** Where the server publishes the signed envelope when no `url` is given (relative: the SW's own origin). */
export const MANIFEST_URL = ROUTES.manifest;
/** A fetch-time refresh happens at most this often; pushes ('manifest-changed') are immediate. */
export const MANIFEST_STALE_MS = 60_000;
/** 10 s: a manifest is small; a server that takes longer is treated as unreachable this time. */
const FETCH_TIMEOUT_MS = 10_000;
/** 5 s: IndexedDB answers in milliseconds; a wedged database must not hold the SW's start. */
const IDB_TIMEOUT_MS = 5_000;
/** 20 s: revalidating what a deploy changed takes one round trip per file this visitor holds fresh; past it the switch goes ahead. */
const BEFORE_SWITCH_MS = 20_000;
/** Verification codes an honest relaying peer can cause: it raced the server's push, or its clock is apart from ours. */
const HONEST_RELAY_CODES: ReadonlySet<ErrorCode> = new Set(['MANIFEST_ROLLBACK', 'MANIFEST_EXPIRED']);
const FLOOR_KEY = 'floor';
const ENVELOPE_KEY = 'envelope';

/** What the store needs. */
export interface ManifestStoreOptions {
  /** The keys baked into this SW. */
  readonly keys: Promise<readonly TrustedKey[]>;
  readonly stats: Pick<SwStatsCounter, 'addRefusal'>;
  /** Called when a manifest with another version becomes current. */
  readonly onVersionChange?: (manifest: Manifest) => void;
  /** Runs before `next` replaces `previous` (bounded by the store: BEFORE_SWITCH_MS). */
  readonly beforeSwitch?: (previous: Manifest | undefined, next: Manifest) => Promise<unknown>;
  readonly fetch?: typeof fetch;
  /** The envelope's URL (wire.ts serverUrl of the server's base); default MANIFEST_URL. */
  readonly url?: string;
}

/** Reads a body up to `cap` bytes, or undefined when it is larger. */
async function readCapped(response: Response, cap: number): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > cap) return undefined;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      void reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The persisted rollback floor, with the trusted keys it was reached under. */
interface StoredFloor {
  readonly version: number;
  readonly keyids: readonly string[];
}

/**
 * The floor a stored record gives under the current trusted keys. Versions count per signing
 * identity: a key set that shares no key with the one the floor was reached under (the site moved to
 * new keys, or a demo server restarted with a throwaway key) starts again from 0, or its first
 * manifest would be refused as a rollback forever. A shared key carries the floor over.
 */
export function floorFor(stored: unknown, keyids: readonly string[]): number {
  if (typeof stored !== 'object' || stored === null) return 0;
  const { version, keyids: storedKeyids } = stored as Partial<StoredFloor>;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0 || !Array.isArray(storedKeyids)) return 0;
  return storedKeyids.some((id) => keyids.includes(id)) ? version : 0;
}

/** What became of an envelope a peer relayed. */
export type OfferResult =
  | { readonly kind: 'adopted'; readonly version: number }
  /** Not newer than the current one, below the floor, or expired: nothing the peer did wrong. */
  | { readonly kind: 'ignored' }
  /** Forged, malformed or otherwise bad: the peer that relayed it is dropped. */
  | { readonly kind: 'refused'; readonly code: ErrorCode };

/** The verified envelope the SW routes by: its version and exact bytes. */
export interface CurrentEnvelope {
  readonly version: number;
  readonly bytes: Uint8Array;
}

/** Holds the current verified manifest and keeps it fresh. */
export class ManifestStore {
  private manifest: Manifest | undefined;
  /** The exact envelope bytes `manifest` was verified from. */
  private envelopeBytes: Uint8Array | undefined;
  private floor = 0;
  private lastCheck = 0;
  private inflight: Promise<void> | undefined;
  /** The switch in progress, if any: switches run one after another. */
  private switching: Promise<unknown> = Promise.resolve();
  private readonly idb: UseStore;
  private readonly fetchFn: typeof fetch;
  /** Settles once the persisted manifest was tried (the floor is known). */
  private readonly persisted: Promise<void>;
  /** Settles (never rejects) once the persisted manifest was tried and the first network refresh ended. */
  readonly firstLoad: Promise<void>;

  constructor(private readonly options: ManifestStoreOptions) {
    this.idb = createStore(CACHE_STORES.state.db, CACHE_STORES.state.store);
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.persisted = this.loadPersisted().catch(() => undefined);
    this.firstLoad = this.persisted.then(() => this.refresh());
  }

  /** The manifest to route by, or undefined when there is none or it has expired. */
  current(now = Date.now()): Manifest | undefined {
    const m = this.manifest;
    if (!m || now >= Date.parse(m.expiresAt)) return undefined;
    return m;
  }

  /** Version of the manifest routed by; 0 when none. */
  version(): number {
    return this.current()?.version ?? 0;
  }

  /** The envelope of the manifest routed by (what a bridge relays to peers), or undefined when there is none or it has expired. */
  envelope(now = Date.now()): CurrentEnvelope | undefined {
    const manifest = this.current(now);
    return manifest && this.envelopeBytes ? { version: manifest.version, bytes: this.envelopeBytes } : undefined;
  }

  /** Verifies an envelope a peer relayed, as the server's is verified, and switches to it when it is newer. Never rejects. */
  async offer(bytes: Uint8Array): Promise<OfferResult> {
    await this.persisted;
    let manifest: Manifest;
    try {
      ({ manifest } = await verifyManifest(bytes, { keys: await this.options.keys, minVersion: this.floor }));
    } catch (error) {
      const code: ErrorCode = isSwarmError(error) ? error.code : 'INTERNAL';
      if (HONEST_RELAY_CODES.has(code)) return { kind: 'ignored' };
      this.options.stats.addRefusal(code);
      return { kind: 'refused', code };
    }
    return (await this.switchTo(manifest, bytes)) ? { kind: 'adopted', version: manifest.version } : { kind: 'ignored' };
  }

  /** Starts a refresh when the last check is older than a minute; never blocks the caller. */
  refreshIfStale(now = Date.now()): Promise<void> | undefined {
    if (this.inflight || now - this.lastCheck < MANIFEST_STALE_MS) return undefined;
    return this.refresh();
  }

  /** Fetches and verifies the published manifest; one at a time; never rejects. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchAndAccept()
      .catch(() => undefined)
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async loadPersisted(): Promise<void> {
    const stored = await withDeadline(getMany([FLOOR_KEY, ENVELOPE_KEY], this.idb), IDB_TIMEOUT_MS);
    if (!Array.isArray(stored)) return;
    const [floor, envelope] = stored as unknown[];
    this.floor = floorFor(floor, (await this.options.keys).map((k) => k.keyid));
    if (!(envelope instanceof Uint8Array)) return;
    try {
      const { manifest } = await verifyManifest(envelope, { keys: await this.options.keys, minVersion: this.floor });
      this.adopt(manifest, envelope);
    } catch {
      // An expired or otherwise unusable stored manifest is simply not used; the network decides.
    }
  }

  private async fetchAndAccept(): Promise<void> {
    this.lastCheck = Date.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
    let bytes: Uint8Array | undefined;
    try {
      const response = await this.fetchFn(this.options.url ?? MANIFEST_URL, { cache: 'no-cache', credentials: 'same-origin', signal: abort.signal });
      // No manifest published (404) or a server error: nothing was refused, nothing changes.
      if (response.status !== 200) return;
      bytes = await readCapped(response, DEFAULT_MAX_ENVELOPE_BYTES);
    } catch {
      return; // offline or timed out: keep the last good one
    } finally {
      clearTimeout(timer);
    }
    if (!bytes) {
      this.options.stats.addRefusal('MANIFEST_TOO_LARGE');
      return;
    }
    let manifest: Manifest;
    try {
      ({ manifest } = await verifyManifest(bytes, { keys: await this.options.keys, minVersion: this.floor }));
    } catch (error) {
      this.options.stats.addRefusal(isSwarmError(error) ? error.code : 'INTERNAL');
      return;
    }
    await this.switchTo(manifest, bytes);
  }

  /**
   * Makes a verified manifest current when it is newer than the current one (after beforeSwitch),
   * and persists it; one switch at a time, so two newer ones arriving together land in version
   * order. True when it switched.
   */
  private switchTo(manifest: Manifest, bytes: Uint8Array): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const previous = this.manifest;
      if (previous && manifest.version <= previous.version) return false;
      if (this.options.beforeSwitch) await withDeadline(this.options.beforeSwitch(previous, manifest), BEFORE_SWITCH_MS).catch(() => undefined);
      this.adopt(manifest, bytes);
      // The envelope on disk is what the next SW start re-verifies.
      const floor: StoredFloor = { version: this.floor, keyids: (await this.options.keys).map((k) => k.keyid) };
      // A database that fails (or is missing: unit tests) costs the persistence, never the switch.
      await Promise.resolve()
        .then(() => withDeadline(setMany([[FLOOR_KEY, floor], [ENVELOPE_KEY, bytes]], this.idb), IDB_TIMEOUT_MS))
        .catch(() => undefined);
      return true;
    };
    const switched = this.switching.then(run, run);
    this.switching = switched.catch(() => undefined);
    return switched.catch(() => false);
  }

  private adopt(manifest: Manifest, bytes: Uint8Array): void {
    const previous = this.manifest;
    this.manifest = manifest;
    this.envelopeBytes = bytes;
    this.floor = Math.max(this.floor, manifest.version);
    if (previous?.version !== manifest.version) this.options.onVersionChange?.(manifest);
  }
}
