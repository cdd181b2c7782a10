/**
 * The availability view per site: how many peers hold each file of the current manifest. Sessions
 * tell the hub what changed (have, lost, a peer leaving); the hub keeps a bounded dirty set per
 * site and, on every `flush` (the tracker plugin's one shared timer), sends each site's sessions
 * one delta serialized once. A joining session gets the full snapshot at once. Only file
 * integrities of the current manifest are ever listed; a new manifest resends every site in full.
 */
import type { AvailabilityView } from '../../protocol/messages/availability.js';
import type { TrackerServerMessage } from '../../protocol/messages/tracker.js';
import type { Sha256Sri } from '../../protocol/index.js';
import type { TrackerStore } from '../store/store.js';
import { manifestIntegrities, sameMembers } from './manifest-integrities.js';

/** Where availability frames go (a tracker session): a batch of already serialized frames. */
export interface AvailabilitySink {
  sendTexts(texts: readonly string[]): void;
}

/** What a tracker session tells the hub. */
export interface AvailabilityFeed {
  /** A session joined a site: it gets the full snapshot now and every delta from then on. */
  join(sink: AvailabilitySink, site: string): void;
  /** A session left (call before its peer is removed from the store). */
  leave(sink: AvailabilitySink, site: string): void;
  /** These hashes' holder counts in the site may have changed (only manifest files are kept). */
  changed(site: string, hashes: Iterable<string>): void;
}

/** The manifest as the hub needs it (ManifestUpdate fits). */
export interface PublishedFiles {
  readonly version: number;
  readonly envelopeJson: string;
}

/** What the hub is built from. */
export interface AvailabilityHubOptions {
  readonly store: Pick<TrackerStore, 'holderCount' | 'heldHashes' | 'heldHashCount'>;
  /** The manifest being published now; a new object means a new manifest. */
  readonly manifest: () => PublishedFiles | undefined;
  /** Files per frame. */
  readonly maxEntriesPerFrame?: number;
  /** Dirty hashes one site collects before the next flush sends its full snapshot instead. */
  readonly maxDirtyPerSite?: number;
}

/** 4,096 files × ~65 characters ≈ 270 KB: half a client's frame cap, like a `have` of 4,096 hashes. */
export const AVAILABILITY_ENTRIES_PER_FRAME = 4096;
/** Past 10,000 changed files a delta is about as large as the snapshot: send the snapshot. */
export const AVAILABILITY_MAX_DIRTY = 10_000;

type Counts = Record<Sha256Sri, number>;

interface SiteState {
  readonly site: string;
  readonly sinks: Set<AvailabilitySink>;
  readonly dirty: Set<Sha256Sri>;
  /** The next flush sends the full snapshot (the dirty set overflowed, or the manifest's files changed). */
  full: boolean;
  /** The current snapshot and its frames, kept until a count in it may have changed. */
  files: Counts | undefined;
  frames: readonly string[] | undefined;
}

/** Availability per site, pushed to tracker sessions and read by the HTTP route. */
export class AvailabilityHub implements AvailabilityFeed {
  readonly #store: AvailabilityHubOptions['store'];
  readonly #manifest: () => PublishedFiles | undefined;
  readonly #perFrame: number;
  readonly #maxDirty: number;
  readonly #sites = new Map<string, SiteState>();
  /** Sites with something to send at the next flush. */
  readonly #pending = new Set<SiteState>();
  #manifestSeen: PublishedFiles | undefined;
  #integrities: ReadonlySet<string> = new Set();

  constructor(options: AvailabilityHubOptions) {
    this.#store = options.store;
    this.#manifest = options.manifest;
    this.#perFrame = options.maxEntriesPerFrame ?? AVAILABILITY_ENTRIES_PER_FRAME;
    this.#maxDirty = options.maxDirtyPerSite ?? AVAILABILITY_MAX_DIRTY;
  }

  /** The current manifest's file integrities: the same object until the set of files changes. */
  files(): ReadonlySet<string> {
    this.#sync();
    return this.#integrities;
  }

  /** One site's view, as GET /swarmcdn/availability answers it: O(files held in that site). */
  view(site: string): AvailabilityView {
    this.#sync();
    const state = this.#sites.get(site);
    const files = state ? this.#snapshot(state) : this.#count(site);
    return { manifestVersion: this.#manifestSeen?.version ?? 0, files };
  }

  join(sink: AvailabilitySink, site: string): void {
    this.#sync();
    let state = this.#sites.get(site);
    if (!state) {
      state = { site, sinks: new Set(), dirty: new Set(), full: false, files: undefined, frames: undefined };
      this.#sites.set(site, state);
    }
    state.sinks.add(sink);
    sink.sendTexts(this.#snapshotFrames(state));
  }

  leave(sink: AvailabilitySink, site: string): void {
    const state = this.#sites.get(site);
    if (!state?.sinks.delete(sink) || state.sinks.size > 0) return;
    this.#sites.delete(site);
    this.#pending.delete(state);
  }

  changed(site: string, hashes: Iterable<string>): void {
    const state = this.#sites.get(site);
    // Nobody listens in that site: the HTTP view counts afresh, so there is nothing to remember.
    if (!state) return;
    this.#sync();
    const integrities = this.#integrities;
    let touched = false;
    for (const hash of hashes) {
      if (!integrities.has(hash)) continue;
      touched = true;
      if (state.full) break;
      state.dirty.add(hash as Sha256Sri);
      if (state.dirty.size > this.#maxDirty) {
        state.full = true;
        state.dirty.clear();
        break;
      }
    }
    if (!touched) return;
    state.files = undefined;
    state.frames = undefined;
    this.#pending.add(state);
  }

  /** Sends every site with changes its delta (or full snapshot), serialized once per site. */
  flush(): void {
    this.#sync();
    // Taken first: a send may close a slow session, whose leaving marks its site again for the next flush.
    const due = [...this.#pending];
    this.#pending.clear();
    for (const state of due) {
      const frames = state.full ? this.#snapshotFrames(state) : this.#deltaFrames(state);
      state.full = false;
      state.dirty.clear();
      for (const sink of state.sinks) sink.sendTexts(frames);
    }
  }

  /** Picks up a new manifest: its file set is built once, and if it changed every site goes out in full. */
  #sync(): void {
    const current = this.#manifest();
    if (current === this.#manifestSeen) return;
    this.#manifestSeen = current;
    const next = current ? manifestIntegrities(current.envelopeJson) : new Set<string>();
    if (sameMembers(next, this.#integrities)) return;
    this.#integrities = next;
    for (const state of this.#sites.values()) {
      state.full = true;
      state.dirty.clear();
      state.files = undefined;
      state.frames = undefined;
      this.#pending.add(state);
    }
  }

  #snapshot(state: SiteState): Counts {
    return (state.files ??= this.#count(state.site));
  }

  #snapshotFrames(state: SiteState): readonly string[] {
    return (state.frames ??= this.#frames(this.#snapshot(state), true));
  }

  #deltaFrames(state: SiteState): readonly string[] {
    const files = Object.create(null) as Counts;
    // 0 is a real value here: nobody holds it any more.
    for (const hash of state.dirty) files[hash] = this.#store.holderCount(state.site, hash);
    return this.#frames(files, false);
  }

  /** Holder counts of the manifest's files held in a site, walking the smaller of the two sets. */
  #count(site: string): Counts {
    const files = Object.create(null) as Counts;
    const integrities = this.#integrities;
    const store = this.#store;
    if (integrities.size === 0) return files;
    const walk = store.heldHashCount(site) <= integrities.size ? store.heldHashes(site) : integrities;
    for (const hash of walk) {
      if (!integrities.has(hash)) continue;
      const holders = store.holderCount(site, hash);
      if (holders > 0) files[hash as Sha256Sri] = holders;
    }
    return files;
  }

  /** Splits counts into frames of at most `perFrame` files; only the first of a snapshot says `full`. */
  #frames(files: Counts, full: boolean): string[] {
    const frames: string[] = [];
    let part = Object.create(null) as Counts;
    let size = 0;
    const emit = (): void => {
      const message: TrackerServerMessage = { type: 'availability', full: full && frames.length === 0, files: part };
      frames.push(JSON.stringify(message));
      part = Object.create(null) as Counts;
      size = 0;
    };
    for (const hash in files) {
      part[hash as Sha256Sri] = files[hash as Sha256Sri]!;
      if (++size === this.#perFrame) emit();
    }
    // A snapshot always sends at least one frame: an empty `full: true` is news (nobody holds anything).
    if (size > 0 || (full && frames.length === 0)) emit();
    return frames;
  }
}
