/**
 * The manifest the SW routes by. It starts from the last good envelope persisted in IndexedDB
 * (re-verified: the bytes on disk are no more trusted than the network), then refreshes from
 * /swarmcdn/manifest. A refused manifest (forged, rolled back, expired, malformed) leaves the last
 * good one in place and is counted; the highest version ever accepted is persisted as the
 * rollback floor. Past its expiresAt a manifest routes nothing: everything goes to the network.
 */
import { createStore, getMany, setMany, type UseStore } from 'idb-keyval';
import { DEFAULT_MAX_ENVELOPE_BYTES, isSwarmError, verifyManifest, type Manifest, type TrustedKey } from '../protocol/index.js';
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
const FLOOR_KEY = 'floor';
const ENVELOPE_KEY = 'envelope';

/** What the store needs. */
export interface ManifestStoreOptions {
  /** The keys baked into this SW. */
  readonly keys: Promise<readonly TrustedKey[]>;
  readonly stats: Pick<SwStatsCounter, 'addRefusal'>;
  /** Called when a manifest with another version becomes current. */
  readonly onVersionChange?: (manifest: Manifest) => void;
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

/** Holds the current verified manifest and keeps it fresh. */
export class ManifestStore {
  private manifest: Manifest | undefined;
  private floor = 0;
  private lastCheck = 0;
  private inflight: Promise<void> | undefined;
  private readonly idb: UseStore;
  private readonly fetchFn: typeof fetch;
  /** Settles (never rejects) once the persisted manifest was tried and the first network refresh ended. */
  readonly firstLoad: Promise<void>;

  constructor(private readonly options: ManifestStoreOptions) {
    this.idb = createStore(CACHE_STORES.state.db, CACHE_STORES.state.store);
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.firstLoad = this.loadPersisted()
      .catch(() => undefined)
      .then(() => this.refresh());
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
      this.adopt(manifest);
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
    const current = this.manifest;
    if (current && manifest.version < current.version) return;
    const changed = current?.version !== manifest.version;
    this.adopt(manifest);
    // Persist a new version only: the envelope on disk is what the next SW start re-verifies.
    if (changed) {
      const floor: StoredFloor = { version: this.floor, keyids: (await this.options.keys).map((k) => k.keyid) };
      await withDeadline(setMany([[FLOOR_KEY, floor], [ENVELOPE_KEY, bytes]], this.idb), IDB_TIMEOUT_MS).catch(() => undefined);
    }
  }

  private adopt(manifest: Manifest): void {
    const previous = this.manifest;
    this.manifest = manifest;
    this.floor = Math.max(this.floor, manifest.version);
    if (previous?.version !== manifest.version) this.options.onVersionChange?.(manifest);
  }
}
