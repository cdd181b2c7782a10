/**
 * The tracker, as a service the signalling socket carries: there is no tracker WebSocket of its
 * own. A page's PeerJS socket (already bound to a server-issued id and its token) sends tracker
 * messages beside its OFFERs and ANSWERs; the signalling hub hands each one to the TrackerSession
 * it opened for that socket here, with the socket's proven id. So a tracker identity is always a
 * signalling identity, a page needs one WebSocket, and the tracker inherits signalling's caps on
 * connections and its alive timeout.
 *
 * This file keeps the live sessions (by their proven id), tells two sessions when signalling saw
 * them pair, keeps what sessions may announce to the current manifest's files (dropping holdings
 * of files a new manifest no longer lists), pushes new manifests to all sessions, and flushes the
 * availability hub's per-site deltas from one shared timer.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { TrackerServerMessage } from '../../protocol/messages/tracker.js';
import type { ByteCounters, ConnectionGauges, ManifestUpdate } from '../context.js';
import { createTrackerCounters, type TrackerCounters } from '../metrics/counters.js';
import type { TrackerOptions } from '../options.js';
import type { TrackerStore } from '../store/store.js';
import type { AvailabilityHub } from './availability-hub.js';
import { TrackerSession, type SessionDeps, type SessionSocket } from './session.js';

/** What the service needs from the server. */
export interface TrackerServiceDeps {
  readonly options: Readonly<TrackerOptions>;
  readonly store: TrackerStore;
  readonly bytes: ByteCounters;
  readonly gauges: ConnectionGauges;
  readonly availability: AvailabilityHub;
  readonly manifestVersion: () => number | undefined;
  readonly log: FastifyBaseLogger;
  /** Where answers and refusals are counted (server/metrics/; none: the service keeps its own). */
  readonly counters?: TrackerCounters;
  readonly rng?: () => number;
  readonly now?: () => number;
}

/** Every tracker session of one server. */
export class TrackerService {
  readonly #deps: TrackerServiceDeps;
  readonly #sessions = new Set<TrackerSession>();
  /** Live sessions by the id their socket proved (a reconnect's new session replaces the old one). */
  readonly #byOwner = new Map<string, TrackerSession>();
  readonly #sessionDeps: SessionDeps;
  readonly #counters: TrackerCounters;
  #timer: NodeJS.Timeout | undefined;
  /** The manifest file set last seen, and each file mapped to that set's own string. */
  #filesSeen: ReadonlySet<string> | undefined;
  #files: ReadonlyMap<string, string> = new Map();

  constructor(deps: TrackerServiceDeps) {
    this.#deps = deps;
    this.#counters = deps.counters ?? createTrackerCounters();
    this.#sessionDeps = {
      counters: this.#counters,
      options: deps.options,
      store: deps.store,
      bytes: deps.bytes,
      manifestVersion: deps.manifestVersion,
      rng: deps.rng ?? Math.random,
      now: deps.now ?? Date.now,
      availability: deps.availability,
      manifestFiles: () => this.#manifestFiles(),
      sessionOf: (peerId) => this.#byOwner.get(peerId),
    };
  }

  /** Live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * A session for a signalling socket that proved `peerId` (its first tracker frame opens it);
   * `networkKey` is its address's network (network-key.ts).
   */
  open(socket: SessionSocket, peerId: string, networkKey: string): TrackerSession {
    const session = new TrackerSession(socket, networkKey, this.#sessionDeps, peerId);
    this.#sessions.add(session);
    this.#byOwner.set(peerId, session);
    this.#deps.gauges.tracker = this.#sessions.size;
    return session;
  }

  /** The session's socket closed (or was replaced): its peer and everything it announced go. */
  close(session: TrackerSession): void {
    session.dispose();
    if (this.#byOwner.get(session.ownerId) === session) this.#byOwner.delete(session.ownerId);
    if (this.#sessions.delete(session)) this.#deps.gauges.tracker = this.#sessions.size;
  }

  /**
   * The signalling hub relayed `answerer`'s ANSWER to `offerer`'s OFFER at `now`: the server saw
   * these two peers negotiate a connection (a fact no client can make up). Each session remembers
   * the other for `pairTtlMs` (recent-partners.ts: at most 32 per session, gone with the session),
   * and only then takes the other's reports and credit into account. Peers without a tracker
   * session are not remembered: nothing of theirs could use it.
   */
  paired(offerer: string, answerer: string, now: number): void {
    const a = this.#byOwner.get(offerer);
    const b = this.#byOwner.get(answerer);
    if (a === undefined || b === undefined || a === b) return;
    // Each notes the other's own id string, not the frame's copy of it.
    a.notePartner(b.ownerId, now);
    b.notePartner(a.ownerId, now);
  }

  /** Pushes a new manifest version to every session: serialized once, sent in the same tick. */
  pushManifest(update: ManifestUpdate): void {
    this.#manifestFiles();
    const text = JSON.stringify({ type: 'manifest', version: update.version, etag: update.etag } satisfies TrackerServerMessage);
    for (const session of this.#sessions) session.sendText(text);
    this.#counters.answers.manifest += this.#sessions.size;
    this.#deps.log.debug({ version: update.version, clients: this.#sessions.size }, 'manifest pushed to tracker clients');
  }

  /** Starts the availability timer: one delta per changed site per interval, serialized once per site. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      try {
        // A new manifest's dropped files leave the store before the hub counts its snapshot.
        this.#manifestFiles();
        this.#deps.availability.flush();
      } catch (error) {
        // A bug here must not kill the process from a timer; the next tick tries again.
        this.#deps.log.error({ err: error }, 'availability flush failed');
      }
    }, this.#deps.options.availabilityIntervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and forgets every session (server shutdown; the sockets close with the hub). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const session of this.#sessions) session.dispose();
    this.#sessions.clear();
    this.#byOwner.clear();
    this.#deps.gauges.tracker = 0;
  }

  /**
   * The current manifest's files (the availability hub unpacks each manifest once). When the set
   * changes, holdings of files no longer listed are dropped from every swarm, in the same turn, so
   * the snapshot the hub sends next already counts without them.
   */
  #manifestFiles(): ReadonlyMap<string, string> {
    const files = this.#deps.availability.files();
    if (files === this.#filesSeen) return this.#files;
    this.#filesSeen = files;
    this.#files = new Map([...files].map((file) => [file, file]));
    this.#deps.store.retainHashes(files);
    return this.#files;
  }
}
